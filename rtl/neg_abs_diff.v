// neg_abs_diff: one row of four -|U - Va| units, registered: at a rising clock edge with en = 1, m is
// loaded with the four results; otherwise it holds. A Winograd lane has four (the stage-2 register of
// winoadder_core), the direct PE nine per lane.
// D = U - Va is formed modulo 2^WE, WE = max(WD, WU, WVA); D fits in WD bits, so this is exact.
// M is the negative of the magnitude (M = D if D < 0, else -D), which never overflows; M fits in
// WM <= WD bits, so its low WM bits are exact.
// For an event-driven simulator the row is one clocked block that reads u and va once, keeps its
// differences in a memory (Icarus reads a memory word without the signal lookup a reg or net costs)
// and loads m whole with one assignment.
module neg_abs_diff #(
    parameter WU = 12,
    parameter WVA = 12,
    parameter WD = 13,
    parameter WM = 13
) (
    input clk,
    input en,
    input [4*WU-1:0] u,  // unit c at [WU*c +: WU], signed
    input [4*WVA-1:0] va,  // unit c at [WVA*c +: WVA], signed
    output reg [4*WM-1:0] m  // unit c at [WM*c +: WM]
);
    localparam WMAX_IN = (WU > WVA) ? WU : WVA;
    localparam WE = (WD > WMAX_IN) ? WD : WMAX_IN;

// D of unit c, from sign-extended operands (signed, so the WE-bit assignment extends them).
`define NAD_DIFF(c) diff[c] = $signed(u_row[0][WU*(c) +: WU]) - $signed(va_row[0][WVA*(c) +: WVA]);
// -|D| of unit c, WM bits.
`define NAD_NEG(c) (diff[c][WE-1] ? diff[c][WM-1:0] : -diff[c][WM-1:0])

    // Temporaries of the clocked block (written before they are read, no state).
    reg [4*WU-1:0] u_row [0:0];
    reg [4*WVA-1:0] va_row [0:0];
    reg signed [WE-1:0] diff [0:3];
    /* verilator lint_off BLKSEQ */  // blocking writes to the block's temporaries
    /* verilator lint_off WIDTH */  // the signed operands are sign-extended to WE bits
    always @(posedge clk) begin
        if (en) begin
            u_row[0] = u;
            va_row[0] = va;
            `NAD_DIFF(0)
            `NAD_DIFF(1)
            `NAD_DIFF(2)
            `NAD_DIFF(3)
            m <= {`NAD_NEG(3), `NAD_NEG(2), `NAD_NEG(1), `NAD_NEG(0)};
        end
    end
    /* verilator lint_on WIDTH */
    /* verilator lint_on BLKSEQ */
`undef NAD_NEG
`undef NAD_DIFF
endmodule
