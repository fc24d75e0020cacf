// input_transform: V = B^T d B, the 4x4 Winograd-domain input tile, combinational (in winoadder_core it
// feeds the lanes' neg_abs_diff registers in the cycle the transaction is accepted, beside the weights:
// no register delays the weights). One always block, evaluated once per change of d in an
// event-driven simulator. V[i][j] = sum_b BT[j][b] T[i][b] with T[i][b] = sum_a BT[i][a] d[a][b] (separable: the
// 16 T are computed once, then V from them; 32 add/sub for both presets).
// BT holds the sign pattern of B^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1,
// 11 = -1; each coefficient is a constant, so a zero term costs nothing. Sums are computed modulo 2^WV,
// signed even for unsigned activations: the exact V fits in WV bits (the contract's WV, which every
// DatapathConfig gives as at least WA + 2), so the low WV bits of every operand give it exactly, whatever
// the intermediate sums do.
module input_transform #(
    parameter WA = 8,
    parameter A_SIGNED = 1,
    parameter WV = 10,
    parameter BT = 32'hC4341431
) (
    input [16*WA-1:0] d,
    output reg [16*WV-1:0] v
);
// d[a][b] as a signed value (unsigned activations get a zero sign bit); a coefficient of B^T; x times
// a coefficient (code) of B^T. Every operand is signed, so each sum is evaluated in WV bits (or WA + 1,
// then truncated) with its operands sign-extended.
`define IT_D(a, b) ((A_SIGNED != 0) ? $signed(d_row[a][WA*(b) +: WA]) : $signed({1'b0, d_row[a][WA*(b) +: WA]}))
`define IT_BT(i, a) BT[2*(4*(i)+(a)) +: 2]
`define IT_TERM(code, x) (((code) == 2'b01) ? (x) : ((code) == 2'b11) ? -(x) : $signed({WV{1'b0}}))
// T[i][b] = sum_a BT[i][a] d[a][b], kept in t[4i + b]
`define IT_T(i, b) t[4*(i)+(b)] = `IT_TERM(`IT_BT(i, 0), `IT_D(0, b)) + `IT_TERM(`IT_BT(i, 1), `IT_D(1, b)) \
                                + `IT_TERM(`IT_BT(i, 2), `IT_D(2, b)) + `IT_TERM(`IT_BT(i, 3), `IT_D(3, b));
// V[i][j] = sum_b BT[j][b] T[i][b], e = 4i + j
`define IT_V(e) (`IT_TERM(`IT_BT((e) % 4, 0), t[4*((e) / 4)]) + `IT_TERM(`IT_BT((e) % 4, 1), t[4*((e) / 4)+1]) \
               + `IT_TERM(`IT_BT((e) % 4, 2), t[4*((e) / 4)+2]) + `IT_TERM(`IT_BT((e) % 4, 3), t[4*((e) / 4)+3]))

    // Temporaries of the block (written before they are read, no state): the tile's rows and
    // T, in memories (an event-driven simulator reads a memory word without the signal lookup a reg
    // costs, so the tile is read once a row and each T once a term).
    reg [4*WA-1:0] d_row [0:3];
    reg signed [WV-1:0] t [0:15];
    // v (WV bits an element) is written with one assignment of the whole tile: one event on v per
    // change of d.
    /* verilator lint_off WIDTH */  // the signed terms are sign-extended to WV bits
    always @(d) begin
            d_row[0] = d[0 +: 4*WA];
            d_row[1] = d[4*WA +: 4*WA];
            d_row[2] = d[8*WA +: 4*WA];
            d_row[3] = d[12*WA +: 4*WA];
            `IT_T(0, 0) `IT_T(0, 1) `IT_T(0, 2) `IT_T(0, 3)
            `IT_T(1, 0) `IT_T(1, 1) `IT_T(1, 2) `IT_T(1, 3)
            `IT_T(2, 0) `IT_T(2, 1) `IT_T(2, 2) `IT_T(2, 3)
            `IT_T(3, 0) `IT_T(3, 1) `IT_T(3, 2) `IT_T(3, 3)
            v = {
                `IT_V(15),
                `IT_V(14),
                `IT_V(13),
                `IT_V(12),
                `IT_V(11),
                `IT_V(10),
                `IT_V(9),
                `IT_V(8),
                `IT_V(7),
                `IT_V(6),
                `IT_V(5),
                `IT_V(4),
                `IT_V(3),
                `IT_V(2),
                `IT_V(1),
                `IT_V(0)
            };
    end
    /* verilator lint_on WIDTH */

`undef IT_V
`undef IT_T
`undef IT_TERM
`undef IT_BT
`undef IT_D
endmodule
