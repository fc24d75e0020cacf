// channel_accumulate: one row of four accumulators summing M over input channels (a Winograd lane has
// four rows, the 16 Winograd-domain entries; the direct PE one row per lane, its four outputs).
// On en: acc <= overflow((first ? 0 : acc) + m), the overflow mode applied after every addition:
// ACC_SAT = 0 wraps to WS bits (two's complement); ACC_SAT = 1 saturates. M <= 0 (it is -|U - Va|, or
// a sum of such terms in adder_pe_direct), so from reset the entries stay in [-2^(WS-1), 0] and a sum
// can leave the WS-bit range only below: SAT clamps it to -2^(WS-1). The sum is formed exactly in
// WX = max(WS, WM) + 1 bits; WRAP keeps its low WS bits. Synchronous active-high reset clears acc.
// For an event-driven simulator the row is one clocked block that reads m once and acc as two words
// of two entries (at most 64 bits: Icarus handles them without allocation), keeps its sums in a memory
// (a memory word is read without the signal lookup a reg or net costs) and loads acc whole.
module channel_accumulate #(
    parameter WM = 13,
    parameter WS = 19,
    parameter ACC_SAT = 1
) (
    input clk,
    input rst,
    input en,
    input first,
    input [4*WM-1:0] m,  // entry c at [WM*c +: WM], signed, <= 0
    output reg [4*WS-1:0] acc  // entry c at [WS*c +: WS]
);
    localparam WX = ((WS > WM) ? WS : WM) + 1;
    localparam [WS-1:0] ACC_MIN = {1'b1, {(WS-1){1'b0}}};
    localparam [WX-WS:0] TOP_UNDER = {1'b1, {(WX-WS){1'b0}}};  // sum[WX-1:WS-1] below range, WX = WS + 1

// The exact sum of entry c: acc + m, or m alone for the first channel (signed operands: the WX-bit
// assignment sign-extends them).
`define CA_SUM(c) sum[c] = $signed(acc_pair[(c) / 2][WS*((c) % 2) +: WS]) + $signed(m_row[0][WM*(c) +: WM]);
`define CA_FIRST(c) sum[c] = $signed(m_row[0][WM*(c) +: WM]);
// A sum of entry c below the WS-bit range: negative with bits [WX-1 : WS-1] not all ones; when
// WX = WS + 1 (WS > WM) that is bits [WS : WS-1] = 10, one comparison. The next value of the entry:
// the minimum for SAT below the range; otherwise, and always for WRAP, the low WS bits.
`define CA_UNDER(c) ((ACC_SAT == 0) ? 1'b0 : (WX == WS + 1) ? (sum[c][WX-1:WS-1] == TOP_UNDER) \
                    : (sum[c][WX-1] && !(&sum[c][WX-1:WS-1])))
`define CA_NEXT(c) (`CA_UNDER(c) ? ACC_MIN : sum[c][WS-1:0])

    // Temporaries of the clocked block (written before they are read, no state).
    reg [4*WM-1:0] m_row [0:0];
    reg [2*WS-1:0] acc_pair [0:1];
    reg signed [WX-1:0] sum [0:3];
    /* verilator lint_off BLKSEQ */  // blocking writes to the block's temporaries
    /* verilator lint_off WIDTH */  // the signed operands are sign-extended to WX bits
    always @(posedge clk) begin
        if (rst) begin
            acc <= {(4*WS){1'b0}};
        end else if (en) begin
            m_row[0] = m;
            if (first) begin
                `CA_FIRST(0)
                `CA_FIRST(1)
                `CA_FIRST(2)
                `CA_FIRST(3)
            end else begin
                acc_pair[0] = acc[0 +: 2*WS];
                acc_pair[1] = acc[2*WS +: 2*WS];
                `CA_SUM(0)
                `CA_SUM(1)
                `CA_SUM(2)
                `CA_SUM(3)
            end
            acc <= {`CA_NEXT(3), `CA_NEXT(2), `CA_NEXT(1), `CA_NEXT(0)};
        end
    end
    /* verilator lint_on WIDTH */
    /* verilator lint_on BLKSEQ */
`undef CA_NEXT
`undef CA_UNDER
`undef CA_FIRST
`undef CA_SUM
endmodule
