// channel_accumulate: N accumulators (16 Winograd-domain entries per lane) summing M over input channels.
// On en: acc <= overflow((first ? 0 : acc) + m), the overflow mode applied after every addition:
// ACC_SAT = 0 wraps to WS bits (two's complement), ACC_SAT = 1 clamps to [-2^(WS-1), 2^(WS-1)-1].
// The sum is formed exactly in WX = max(WS, WM) + 1 bits; WRAP keeps its low WS bits.
// Synchronous active-high reset clears acc. N must be a multiple of 4: the entries work in rows of four.
// For an event-driven simulator each row of four entries is one clocked block that reads its slices
// of m and acc once, keeps its sums in a memory (a memory word is read without the signal lookup a
// reg or net costs in Icarus) and loads its four entries with one assignment.
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

// The exact sum of entry c of the row, sign-extended operands (signed: the WX-bit assignment extends them).
`define CA_SUM(c) sum[c] = $signed(acc_row[0][WS*(c) +: WS]) + $signed(m_row[0][WM*(c) +: WM]);
// M <= 0 (it is -|D|), so with SAT the entries stay in [ACC_MIN, 0] and a sum can leave the WS-bit
// range only below: SAT clamps it to ACC_MIN; WRAP keeps the low WS bits.
// Below the range means negative with bits [WX-1 : WS-1] not all ones.
`define CA_NEXT(c) (((ACC_SAT != 0) && sum[c][WX-1] && !(&sum[c][WX-1:WS-1])) ? ACC_MIN : sum[c][WS-1:0])

    genvar r;
    generate
        if (N % 4 != 0) begin : g_bad_n
            N_must_be_a_multiple_of_4 u_error ();  // elaboration error: no such module
        end
        for (r = 0; r < N / 4; r = r + 1) begin : g_row
            // Temporaries of this row's block (written before they are read, no state).
            reg [4*WM-1:0] m_row [0:0];
            reg [4*WS-1:0] acc_row [0:0];
            reg signed [WX-1:0] sum [0:3];
            /* verilator lint_off BLKSEQ */  // blocking writes to the block's temporaries
            /* verilator lint_off WIDTH */  // the signed operands are sign-extended to WX bits
            always @(posedge clk) begin
                if (rst) begin
                    acc[4*WS*r +: 4*WS] <= {(4*WS){1'b0}};
                end else if (en) begin
                    m_row[0] = m[4*WM*r +: 4*WM];
                    acc_row[0] = first ? {(4*WS){1'b0}} : acc[4*WS*r +: 4*WS];
                    `CA_SUM(0)
                    `CA_SUM(1)
                    `CA_SUM(2)
                    `CA_SUM(3)
                    acc[4*WS*r +: 4*WS] <= {`CA_NEXT(3), `CA_NEXT(2), `CA_NEXT(1), `CA_NEXT(0)};
                end
            end
            /* verilator lint_on WIDTH */
            /* verilator lint_on BLKSEQ */
        end
    endgenerate
`undef CA_NEXT
`undef CA_FITS
`undef CA_SUM
endmodule
