// neg_abs_diff: M = -|U - Va| for N element pairs (16 per Winograd lane), combinational.
// D = U - Va is formed modulo 2^WE, WE = max(WD, WU, WVA); D fits in WD bits, so this is exact.
// M is the negative of the magnitude (M = D if D < 0, else -D), which never overflows; M fits in
// WM <= WD bits, so its low WM bits are exact. Each unit is one always block that writes its slice of
// m, sensitive to its own operands only (nets holding its slices of u and va, sign-extended, so it
// loads two WE-bit values, not the whole buses twice each): an event-driven simulator evaluates a
// unit once per change of its operands, with one event on m per unit and no per-unit nets merged
// into a bus.
module neg_abs_diff #(
    parameter N = 16,
    parameter WU = 12,
    parameter WVA = 12,
    parameter WD = 13,
    parameter WM = 13
) (
    input [N*WU-1:0] u,
    input [N*WVA-1:0] va,
    output reg [N*WM-1:0] m  // unit e at [WM*e +: WM], written by its own always block
);
    localparam WMAX_IN = (WU > WVA) ? WU : WVA;
    localparam WE = (WD > WMAX_IN) ? WD : WMAX_IN;

    genvar e;
    generate
        for (e = 0; e < N; e = e + 1) begin : g_unit
            // Sign extension by assigning a signed net to a wider signed net (one extend per operand).
            wire signed [WU-1:0] u_e = u[WU*e +: WU];
            wire signed [WVA-1:0] va_e = va[WVA*e +: WVA];
            /* verilator lint_off WIDTH */
            wire signed [WE-1:0] u_x = u_e;
            wire signed [WE-1:0] va_x = va_e;
            /* verilator lint_on WIDTH */
            reg [WE-1:0] diff;  // D, modulo 2^WE
            always @(u_x or va_x) begin
                diff = u_x - va_x;
                m[WM*e +: WM] = diff[WE-1] ? diff[WM-1:0] : -diff[WM-1:0];
            end
        end
    endgenerate
endmodule
