// neg_abs_diff: one row of four units forming D = U - Va, registered: at a rising clock edge with
// en = 1, diff is loaded with the four differences; otherwise it holds. A Winograd lane has four rows
// (the lane's stage-1 register in winoadder_core), the direct PE nine per lane.
// The magnitude is not formed here: M = -|D| is D when D's sign bit is 1, else -D, and the
// accumulator applies it as one addition steered by that sign bit (channel_accumulate, NEG_ABS = 1;
// in the direct PE, its window sums). D is formed modulo 2^WE, WE = max(WD, WU, WVA); D fits in WD
// bits (docs/datapath.md), so its low WD bits are exact and bit WD-1 is its sign.
// For an event-driven simulator the row is one clocked block that reads u and va once, keeps its
// differences in a memory and loads diff whole with one assignment.
module neg_abs_diff #(
    parameter WU = 12,
    parameter WVA = 12,
    parameter WD = 13
) (
    input clk,
    input en,
    input [4*WU-1:0] u,  // unit c at [WU*c +: WU], signed
    input [4*WVA-1:0] va,  // unit c at [WVA*c +: WVA], signed
    output reg [4*WD-1:0] diff  // unit c at [WD*c +: WD], signed
);
    localparam WMAX_IN = (WU > WVA) ? WU : WVA;
    localparam WE = (WD > WMAX_IN) ? WD : WMAX_IN;

// D of unit c, from sign-extended operands (signed, so the WE-bit assignment extends them).
`define NAD_DIFF(c) d_c[c] = $signed(u_row[0][WU*(c) +: WU]) - $signed(va_row[0][WVA*(c) +: WVA]);

    // Temporaries of the clocked block (written before they are read, no state).
    reg [4*WU-1:0] u_row [0:0];
    reg [4*WVA-1:0] va_row [0:0];
    reg signed [WE-1:0] d_c [0:3];
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
            diff <= {d_c[3][WD-1:0], d_c[2][WD-1:0], d_c[1][WD-1:0], d_c[0][WD-1:0]};
        end
    end
    /* verilator lint_on WIDTH */
    /* verilator lint_on BLKSEQ */
`undef NAD_DIFF
endmodule
