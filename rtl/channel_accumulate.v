// channel_accumulate: one row of four accumulators summing M over input channels, with the finished
// sums held for the shared output stage (the drain buffer). A Winograd lane has four rows (the 16
// Winograd-domain entries), the direct PE one row per lane (its four outputs).
// The term of entry c is t = term[WIN*c +: WIN]:
//   NEG_ABS = 1 (winoadder_core): t is M = -|D| in neg_abs_diff's steered form {k, N[WIN-2:0]},
//     M = -2^(WIN-1) + N[WIN-2:0] + k: the entry adds the negative N = {1, N[WIN-2:0]} with carry-in k,
//     one addition (the magnitude costs no adder of its own).
//   NEG_ABS = 0 (adder_pe_direct): t is M <= 0 itself (a window sum of -|x - w|) and the entry adds it.
//   NEG_ABS = 2 (winoadder_core accumulating in the output domain): entry c's term is two words,
//     2c = {Za', ca} and 2c + 1 = {Zb', cb}, one channel's Z = A^T M A = Za' + ca + Zb' + cb from
//     output_transform (STEERED = 1): Za', Zb' signed in bits [WIN-1:1], carries in bit 0; the entry adds
//     ({acc, 1} + {Za', ca}) and then {Zb', cb}, two additions with carry-in (acc + Za is formed while
//     Zb is, so the lane's path from M crosses one adder less than acc + (Za + Zb)). WM is then the
//     width of Za' and Zb'; ACC_SAT must be 0 (the output-domain accumulator is exact: every partial sum
//     of Z is a partial Y, which fits WS = WY; acc + Za alone is computed modulo 2^WX and may wrap,
//     the final sum is exact).
// WM: width of M (-|D| or the window sum). M <= 0, so from a cleared accumulator the entries stay in
// [-2^(WS-1), 0] under SAT and a sum can leave the WS-bit range only below (clamped to -2^(WS-1)); the
// sum is exact in WX = max(WS, WM) + 1 bits (computed modulo 2^WX: every intermediate wraps, the
// final value fits). ACC_SAT = 0 keeps the low WS bits (two's complement wrap).
// At a rising edge (not rst): next = overflow(acc + M); if en & last, s <= next (the finished sums,
// held until the next finished accumulation); acc <= 0 if clear, else next if en. The owner clears
// when a first transaction enters the stage before this one, so the entries start from 0 (rst too).
// For an event-driven simulator the row is one clocked block that reads its inputs once, keeps its
// temporaries in memories and loads acc (and s) whole.
module channel_accumulate #(
    parameter WIN = 13,
    parameter WM = 13,
    parameter WS = 19,
    parameter ACC_SAT = 1,
    parameter NEG_ABS = 1
) (
    input clk,
    input rst,
    input en,
    input clear,
    input last,
    input [4*WIN*((NEG_ABS == 2) ? 2 : 1)-1:0] term,  // entry c at [WIN*c +: WIN] (NEG_ABS = 2: two words a
    // term, [WIN*2c +: 2*WIN]): M steered (NEG_ABS = 1), M <= 0 signed (0), {Zb', cb, Za', ca} (2)
    output reg [4*WS-1:0] s  // finished sums, entry c at [WS*c +: WS]
);
    localparam WX = ((WS > WM) ? WS : WM) + 1;
    localparam [WS-1:0] ACC_MIN = {1'b1, {(WS-1){1'b0}}};
    localparam [WX-WS:0] TOP_UNDER = {1'b1, {(WX-WS){1'b0}}};  // sum[WX-1:WS-1] below range, WX = WS + 1

    reg [4*WS-1:0] acc;

// The sum of entry c in WX + 1 bits with the carry-in in bit 0: {acc, 1} + {M operand, carry}, so
// bits [WX:1] are acc + operand + carry. Signed operands: the assignment sign-extends them.
`define CA_SUM(c) sum_c[c] = $signed({acc_pair[(c) / 2][WS*((c) % 2) +: WS], 1'b1}) + `CA_OPERAND(c); \
                  if (NEG_ABS == 2) sum_c[c] = $signed({sum_c[c][WX:1], 1'b1}) + $signed(term_row[0][WIN*(2*(c)+1) +: WIN]);
`define CA_OPERAND(c) ((NEG_ABS == 2) ? $signed(term_row[0][WIN*2*(c) +: WIN]) : `CA_M_OPERAND(c))
`define CA_M_OPERAND(c) ((NEG_ABS != 0) ? $signed({1'b1, term_row[0][WIN*(c) +: WIN-1], term_row[0][WIN*(c)+WIN-1]}) \
                                        : $signed({term_row[0][WIN*(c) +: WIN], 1'b0}))
// A sum of entry c below the WS-bit range: negative with bits [WX-1 : WS-1] not all ones; when
// WX = WS + 1 (WS > WM) that is bits [WS : WS-1] = 10, one comparison. The next value of the entry:
// the minimum for SAT below the range; otherwise, and always for WRAP, the low WS bits.
`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 1) ? (sum_c[c][WX:WS] == TOP_UNDER) \
                    : (sum_c[c][WX] && !(&sum_c[c][WX:WS])))
`define CA_NEXT(c) (`CA_UNDER(c) ? ACC_MIN : sum_c[c][WS:1])

    // Temporaries of the clocked block (written before they are read, no state).
    reg [8*WIN-1:0] term_row [0:0];  // term, zero-extended when one word a term
    reg [2*WS-1:0] acc_pair [0:1];
    reg [WX:0] sum_c [0:3];
    reg [4*WS-1:0] next [0:0];
    /* verilator lint_off BLKSEQ */  // blocking writes to the block's temporaries
    /* verilator lint_off WIDTH */  // the signed operands are sign-extended to WX + 1 bits
    always @(posedge clk) begin
        if (en | clear) begin
            term_row[0] = term;
            acc_pair[0] = acc[0 +: 2*WS];
            acc_pair[1] = acc[2*WS +: 2*WS];
            `CA_SUM(0)
            `CA_SUM(1)
            `CA_SUM(2)
            `CA_SUM(3)
            next[0] = {`CA_NEXT(3), `CA_NEXT(2), `CA_NEXT(1), `CA_NEXT(0)};
            if (en & last) s <= next[0];
            // clear and rst act as one synchronous reset, over en (one reset input of the register);
            // otherwise en is 1 here (en | clear without clear)
            if (rst | clear) acc <= {(4*WS){1'b0}};
            else acc <= next[0];
        end else if (rst) begin
            acc <= {(4*WS){1'b0}};
        end
    end
    /* verilator lint_on WIDTH */
    /* verilator lint_on BLKSEQ */
`undef CA_NEXT
`undef CA_UNDER
`undef CA_OPERAND
`undef CA_M_OPERAND
`undef CA_SUM
endmodule
