// channel_accumulate: N accumulators (16 Winograd-domain entries per lane) summing M over input channels.
// On en: acc <= overflow((first ? 0 : acc) + m), the overflow mode applied after every addition:
// ACC_SAT = 0 wraps to WS bits (two's complement), ACC_SAT = 1 clamps to [-2^(WS-1), 2^(WS-1)-1].
// SAT forms the sum exactly in WX = max(WS, WM) + 1 bits; WRAP adds modulo 2^WS.
// Synchronous active-high reset clears acc.
module channel_accumulate #(
    parameter N = 16,
    parameter WM = 13,
    parameter WS = 19,
    parameter ACC_SAT = 1
) (
    input clk,
    input rst,
    input en,
    input first,
    input [N*WM-1:0] m,
    output [N*WS-1:0] acc
);
    localparam WX = ((WS > WM) ? WS : WM) + 1;
    localparam [WS-1:0] ACC_MAX = {1'b0, {(WS-1){1'b1}}};
    localparam [WS-1:0] ACC_MIN = {1'b1, {(WS-1){1'b0}}};

    reg [N*WS-1:0] acc_q;
    wire [WS-1:0] acc_next [0:N-1];  // the new value of accumulator e
    assign acc = acc_q;

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_entry
            wire [WS-1:0] base = first ? {WS{1'b0}} : acc_q[WS*e +: WS];
            wire [WM-1:0] m_e = m[WM*e +: WM];
            if (ACC_SAT != 0) begin : g_sat
                wire [WX-1:0] sum = {{(WX-WS+1){base[WS-1]}}, base[WS-2:0]}
                                  + {{(WX-WM+1){m_e[WM-1]}}, m_e[WM-2:0]};
                // The sum fits in WS bits iff bits [WX-1 : WS-1] are all equal.
                wire fits = (&sum[WX-1:WS-1]) | ~(|sum[WX-1:WS-1]);
                assign acc_next[e] = fits ? sum[WS-1:0] : (sum[WX-1] ? ACC_MIN : ACC_MAX);
            end else if (WS > WM) begin : g_wrap
                assign acc_next[e] = base + {{(WS-WM+1){m_e[WM-1]}}, m_e[WM-2:0]};
            end else begin : g_wrap_narrow
                assign acc_next[e] = base + m_e[WS-1:0];
            end
        end
    endgenerate

    // The new values are packed by one always block that assigns the packed vector once.
    reg [N*WS-1:0] next_work, next_tile;
    integer p;
    always @* begin
        for (p = 0; p < N; p = p + 1) begin
            next_work[WS*p +: WS] = acc_next[p];
        end
        next_tile = next_work;
    end

    always @(posedge clk) begin
        if (rst) begin
            acc_q <= {N*WS{1'b0}};
        end else if (en) begin
            acc_q <= next_tile;
        end
    end
endmodule
