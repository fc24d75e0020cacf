// neg_abs_diff: M = -|U - Va| for N element pairs (16 per Winograd lane), combinational.
// D = U - Va is formed modulo 2^WE, WE = max(WD, WU, WVA); D fits in WD bits, so this is exact.
// M is the negative of the magnitude (M = D if D < 0, else -D), which never overflows; M fits in
// WM <= WD bits, so its low WM bits are exact. One always block computes every unit and assigns m
// once (an event-driven simulator evaluates the units once per input change, with no per-unit events).
module neg_abs_diff #(
    parameter N = 16,
    parameter WU = 12,
    parameter WVA = 12,
    parameter WD = 13,
    parameter WM = 13
) (
    input [N*WU-1:0] u,
    input [N*WVA-1:0] va,
    output [N*WM-1:0] m
);
    localparam WMAX_IN = (WU > WVA) ? WU : WVA;
    localparam WE = (WD > WMAX_IN) ? WD : WMAX_IN;

    reg [WU-1:0] u_e;
    reg [WVA-1:0] va_e;
    reg [WE-1:0] diff;  // D of one unit, modulo 2^WE
    reg [N*WM-1:0] m_work, m_tile;
    integer e;

    // The sensitivity list names the inputs only: the temporaries are written before they are read, and
    // leaving them out keeps the simulator from comparing them on every write.
    always @(u or va) begin
        for (e = 0; e < N; e = e + 1) begin
            u_e = u[WU*e +: WU];
            va_e = va[WVA*e +: WVA];
            diff = {{(WE-WU+1){u_e[WU-1]}}, u_e[WU-2:0]} - {{(WE-WVA+1){va_e[WVA-1]}}, va_e[WVA-2:0]};
            if (!diff[WE-1]) diff = -diff;
            m_work[WM*e +: WM] = diff[WM-1:0];
        end
        m_tile = m_work;
    end

    assign m = m_tile;
endmodule
