// channel_accumulate: N accumulators (16 Winograd-domain entries per lane) summing M over input channels.
// On en: acc <= overflow((first ? 0 : acc) + m), the overflow mode applied after every addition:
// ACC_SAT = 0 wraps to WS bits (two's complement); ACC_SAT = 1 saturates. M <= 0 (it is -|U - Va|, or
// a sum of such terms in adder_pe_direct), so from reset the entries stay in [-2^(WS-1), 0] and a sum
// can leave the WS-bit range only below: SAT clamps it to -2^(WS-1). The sum is formed exactly in
// WX = max(WS, WM) + 1 bits; WRAP keeps its low WS bits. Synchronous active-high reset clears acc.
// N must be a multiple of 4: the entries work in rows of four.
// For an event-driven simulator each row of four entries is one clocked block that reads its slices
// of m and acc once (in words of at most 64 bits, which Icarus handles without allocation), keeps its
// sums in a memory (a memory word is read without the signal lookup a reg or net costs in Icarus) and
// loads its entries with two assignments of two entries each.
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
    output reg [N*WS-1:0] acc  // entry e at [WS*e +: WS]; row r (entries 4r..4r+3) written by its own block
);
    localparam WX = ((WS > WM) ? WS : WM) + 1;
    localparam [WS-1:0] ACC_MIN = {1'b1, {(WS-1){1'b0}}};

// The exact sum of entry c of the row: acc + m, or m alone for the first channel (signed operands:
// the WX-bit assignment sign-extends them).
`define CA_SUM(c) sum[c] = $signed(acc_pair[(c) / 2][WS*((c) % 2) +: WS]) + $signed(m_row[0][WM*(c) +: WM]);
`define CA_FIRST(c) sum[c] = $signed(m_row[0][WM*(c) +: WM]);
// The next value of entry c: below the WS-bit range (negative, bits [WX-1 : WS-1] not all ones) SAT
// gives the minimum; otherwise, and always for WRAP, the low WS bits.
`define CA_NEXT(c) (((ACC_SAT != 0) && sum[c][WX-1] && !(&sum[c][WX-1:WS-1])) ? ACC_MIN : sum[c][WS-1:0])

    genvar r;
    generate
        if (N % 4 != 0) begin : g_bad_n
            N_must_be_a_multiple_of_4 u_error ();  // elaboration error: no such module
        end
        for (r = 0; r < N / 4; r = r + 1) begin : g_row
            // Temporaries of this row's block (written before they are read, no state).
            reg [4*WM-1:0] m_row [0:0];
            reg [2*WS-1:0] acc_pair [0:1];
            reg signed [WX-1:0] sum [0:3];
            /* verilator lint_off BLKSEQ */  // blocking writes to the block's temporaries
            /* verilator lint_off WIDTH */  // the signed operands are sign-extended to WX bits
            always @(posedge clk) begin
                if (rst) begin
                    acc[4*WS*r +: 4*WS] <= {(4*WS){1'b0}};
                end else if (en) begin
                    m_row[0] = m[4*WM*r +: 4*WM];
                    if (first) begin
                        `CA_FIRST(0)
                        `CA_FIRST(1)
                        `CA_FIRST(2)
                        `CA_FIRST(3)
                    end else begin
                        acc_pair[0] = acc[4*WS*r +: 2*WS];
                        acc_pair[1] = acc[4*WS*r+2*WS +: 2*WS];
                        `CA_SUM(0)
                        `CA_SUM(1)
                        `CA_SUM(2)
                        `CA_SUM(3)
                    end
                    acc[4*WS*r +: 2*WS] <= {`CA_NEXT(1), `CA_NEXT(0)};
                    acc[4*WS*r+2*WS +: 2*WS] <= {`CA_NEXT(3), `CA_NEXT(2)};
                end
            end
            /* verilator lint_on WIDTH */
            /* verilator lint_on BLKSEQ */
        end
    endgenerate
`undef CA_NEXT
`undef CA_FIRST
`undef CA_SUM
endmodule
