// neg_abs_diff: M = -|U - Va| for N element pairs (16 per Winograd lane), registered: at a rising clock
// edge with en = 1, m is loaded with the N results; otherwise it holds (in winoadder_core this is the
// stage-2 register). N must be a multiple of 4: the units work in rows of four.
// D = U - Va is formed modulo 2^WE, WE = max(WD, WU, WVA); D fits in WD bits, so this is exact.
// M is the negative of the magnitude (M = D if D < 0, else -D), which never overflows; M fits in
// WM <= WD bits, so its low WM bits are exact.
// For an event-driven simulator each row of four units is one clocked block that reads its slices of
// u and va once, keeps its differences in a memory (a memory word is read without the signal lookup
// a reg or net costs in Icarus) and loads its four results into m with one assignment.
module neg_abs_diff #(
    parameter N = 16,
    parameter WU = 12,
    parameter WVA = 12,
    parameter WD = 13,
    parameter WM = 13
) (
    input clk,
    input en,
    input [N*WU-1:0] u,
    input [N*WVA-1:0] va,
    output reg [N*WM-1:0] m  // unit e at [WM*e +: WM]; row r (units 4r..4r+3) written by its own block
);
    localparam WMAX_IN = (WU > WVA) ? WU : WVA;
    localparam WE = (WD > WMAX_IN) ? WD : WMAX_IN;

// D of unit c of the row, sign-extended operands (signed, so the WE-bit assignment extends them).
`define NAD_DIFF(c) diff[c] = $signed(u_row[0][WU*(c) +: WU]) - $signed(va_row[0][WVA*(c) +: WVA]);
// -|D| of unit c, WM bits.
`define NAD_NEG(c) (diff[c][WE-1] ? diff[c][WM-1:0] : -diff[c][WM-1:0])

    genvar r;
    generate
        if (N % 4 != 0) begin : g_bad_n
            N_must_be_a_multiple_of_4 u_error ();  // elaboration error: no such module
        end
        for (r = 0; r < N / 4; r = r + 1) begin : g_row
            // Temporaries of this row's block (written before they are read, no state).
            reg [4*WU-1:0] u_row [0:0];
            reg [4*WVA-1:0] va_row [0:0];
            reg signed [WE-1:0] diff [0:3];
            /* verilator lint_off BLKSEQ */  // blocking writes to the block's temporaries
            /* verilator lint_off WIDTH */  // the signed operands are sign-extended to WE bits
            always @(posedge clk) begin
                if (en) begin
                    u_row[0] = u[4*WU*r +: 4*WU];
                    va_row[0] = va[4*WVA*r +: 4*WVA];
                    `NAD_DIFF(0)
                    `NAD_DIFF(1)
                    `NAD_DIFF(2)
                    `NAD_DIFF(3)
                    m[4*WM*r +: 4*WM] <= {`NAD_NEG(3), `NAD_NEG(2), `NAD_NEG(1), `NAD_NEG(0)};
                end
            end
            /* verilator lint_on WIDTH */
            /* verilator lint_on BLKSEQ */
        end
    endgenerate
`undef NAD_NEG
`undef NAD_DIFF
endmodule
