// channel_accumulate: N accumulators (16 Winograd-domain entries per lane) summing M over input channels.
// On en: acc <= overflow((first ? 0 : acc) + m), the overflow mode applied after every addition:
// ACC_SAT = 0 wraps to WS bits (two's complement), ACC_SAT = 1 clamps to [-2^(WS-1), 2^(WS-1)-1].
// SAT forms the sum exactly in WX = max(WS, WM) + 1 bits; WRAP adds modulo 2^WS.
// Synchronous active-high reset clears acc. Each entry's adder reads back its own copy of the entry
// (acc_e, not a slice of the packed register), so an entry's update only wakes its own logic.
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
    output reg [N*WS-1:0] acc  // entry e at [WS*e +: WS], each written by its own always block
);
    localparam WX = ((WS > WM) ? WS : WM) + 1;
    localparam [WS-1:0] ACC_MAX = {1'b0, {(WS-1){1'b1}}};
    localparam [WS-1:0] ACC_MIN = {1'b1, {(WS-1){1'b0}}};

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_entry
            wire [WS-1:0] acc_next;
            reg [WS-1:0] acc_e;  // this entry's copy of its slice of acc, read back by the adder
            wire signed [WS-1:0] base_s = first ? {WS{1'b0}} : acc_e;
            wire signed [WM-1:0] m_s = m[WM*e +: WM];
            // Sign extension by assigning a signed net to a wider signed net: one extend in an
            // event-driven simulator (a replication becomes a tree of one-bit concatenations).
            if (ACC_SAT != 0) begin : g_sat
                /* verilator lint_off WIDTH */
                wire signed [WX-1:0] base_x = base_s;
                wire signed [WX-1:0] m_x = m_s;
                /* verilator lint_on WIDTH */
                wire signed [WX-1:0] sum = base_x + m_x;
                // The sum fits in WS bits iff bits [WX-1 : WS-1] are all equal.
                wire fits = (&sum[WX-1:WS-1]) | ~(|sum[WX-1:WS-1]);
                assign acc_next = fits ? sum[WS-1:0] : (sum[WX-1] ? ACC_MIN : ACC_MAX);
            end else if (WS > WM) begin : g_wrap
                /* verilator lint_off WIDTH */
                wire signed [WS-1:0] m_x = m_s;
                /* verilator lint_on WIDTH */
                assign acc_next = base_s + m_x;
            end else begin : g_wrap_narrow
                assign acc_next = base_s + m_s[WS-1:0];
            end
            always @(posedge clk) begin
                if (rst) begin
                    acc_e <= {WS{1'b0}};
                    acc[WS*e +: WS] <= {WS{1'b0}};
                end else if (en) begin
                    acc_e <= acc_next;
                    acc[WS*e +: WS] <= acc_next;
                end
            end
        end
    endgenerate
endmodule
