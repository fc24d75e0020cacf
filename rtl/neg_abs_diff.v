// neg_abs_diff: M = -|U - Va| for N element pairs (16 per Winograd lane), combinational.
// D = U - Va is formed modulo 2^WE, WE = max(WD, WU, WVA); D fits in WD bits, so this is exact.
// M is the negative of the magnitude (M = D if D < 0, else -D), which never overflows; M fits in
// WM <= WD bits, so its low WM bits are exact. Each unit is its own net; the results are packed into
// m by one always block that assigns m once (one simulator event per evaluation).
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

    wire [WE-1:0] neg_mag [0:N-1];  // -|D| of unit e, modulo 2^WE

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_unit
            wire [WU-1:0] u_e = u[WU*e +: WU];
            wire [WVA-1:0] va_e = va[WVA*e +: WVA];
            wire [WE-1:0] u_ext = {{(WE-WU+1){u_e[WU-1]}}, u_e[WU-2:0]};
            wire [WE-1:0] va_ext = {{(WE-WVA+1){va_e[WVA-1]}}, va_e[WVA-2:0]};
            wire [WE-1:0] diff = u_ext - va_ext;
            assign neg_mag[e] = diff[WE-1] ? diff : -diff;
        end
    endgenerate

    reg [N*WM-1:0] m_work, m_tile;
    integer p;
    always @* begin
        for (p = 0; p < N; p = p + 1) begin
            m_work[WM*p +: WM] = neg_mag[p][WM-1:0];
        end
        m_tile = m_work;
    end
    assign m = m_tile;
endmodule
