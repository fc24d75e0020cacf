// neg_abs_diff: one row of four units M = -|U - Va|, registered in steered form: at a rising clock
// edge with en = 1, m is loaded with the four results; otherwise it holds. A Winograd lane has four
// rows (the lane's stage-1 register in winoadder_core), the direct PE nine per lane.
// D = U - Va is formed modulo 2^WE, WE = max(WD, WU, WVA); D fits in WD bits (docs/datapath.md), so
// its low WD bits are exact and bit WD-1 is its sign. -|D| is D if D < 0, else -D = ~D + 1; so
// -|D| = N + k with N = D ^ {WD{~sign}} (always negative: its top bit is 1) and k = ~sign. Unit c's
// word m[WD*c +: WD] = {k, N[WD-2:0]}: M = -2^(WD-1) + N[WD-2:0] + k. The consumer adds N and k as one
// addition with carry-in k (channel_accumulate, NEG_ABS = 1; the direct PE's window sums), so the
// magnitude costs no adder of its own, and the steering folds into the subtractor's sum bits.
// For an event-driven simulator the row is one clocked block that reads u and va once, keeps its
// differences in a memory and loads m whole with one assignment.
module neg_abs_diff #(
    parameter WU = 12,
    parameter WVA = 12,
    parameter WD = 13
) (
    input clk,
    input en,
    input [4*WU-1:0] u,  // unit c at [WU*c +: WU], signed
    input [4*WVA-1:0] va,  // unit c at [WVA*c +: WVA], signed
    output reg [4*WD-1:0] m  // unit c at [WD*c +: WD]: {k, N[WD-2:0]}, M = -2^(WD-1) + N[WD-2:0] + k
);
    localparam WMAX_IN = (WU > WVA) ? WU : WVA;
    localparam WE = (WD > WMAX_IN) ? WD : WMAX_IN;

// D of unit c, from sign-extended operands (signed, so the WE-bit assignment extends them).
`define NAD_DIFF(c) d_c[c] = $signed(u_row[0][WU*(c) +: WU]) - $signed(va_row[0][WVA*(c) +: WVA]);
// The steered word of unit c: {k, N[WD-2:0]} with k = ~sign(D), N = D ^ {WD{k}}.
`define NAD_WORD(c) {~d_c[c][WD-1], d_c[c][WD-2:0] ^ {(WD-1){~d_c[c][WD-1]}}}

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
            m <= {`NAD_WORD(3), `NAD_WORD(2), `NAD_WORD(1), `NAD_WORD(0)};
        end
    end
    /* verilator lint_on WIDTH */
    /* verilator lint_on BLKSEQ */
`undef NAD_WORD
`undef NAD_DIFF
endmodule
