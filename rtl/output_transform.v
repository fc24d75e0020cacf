// output_transform: Y = A^T S A, the 2x2 output tile from a 4x4 Winograd-domain tile (docs/datapath.md).
// STEERED = 0 (winoadder_core with a Winograd-domain accumulator): S arrives as its four rows (s0..s3,
// one per channel_accumulate row) and y is registered: at a rising clock edge with en = 1, y is loaded
// with the transform of S; otherwise it holds. This is the shared stage-4 register, loaded only for a
// finished accumulation, so an event-driven simulator evaluates the transform only then.
// STEERED = 1 (winoadder_core accumulating in the output domain, one instance per lane): the rows are
// one channel's M in neg_abs_diff's steered form (WS = WD bits a word, {k, N[WS-2:0]}, M = N + k) and y
// is combinational (clk and en unused): output e = 2i + j is two words of WY bits, 2e = {Za', ca} and
// 2e + 1 = {Zb', cb}, Z = A^T M A = Za' + ca + Zb' + cb, with Za', Zb' the signed values of a word's
// top WY - 1 bits and the carries in bit 0; Za is the term of the first nonzero coefficient of row j of
// A^T, Zb the sum of the others, and channel_accumulate (NEG_ABS = 2) adds (acc + Za) + Zb, two
// additions with carry-in. A term +M is (N, k) and -M = ~N + ~k (two's complement: -x = ~x + 1, and
// 1 - k = ~k), so every term is a value and a carry bit; each addition {x, 1} + {y, c} adds one
// pending carry, so a sum of n terms takes n - 1 adders and leaves one carry, which passes on with the
// sum (no adder for the magnitudes). WY - 1 bits must hold Za' and Zb' exactly (rtl_params derives it
// from their ranges); the sums are computed modulo 2^(WY-1), exact because the final values fit.
// Y[i][j] = sum_b AT[j][b] T[i][b] with T[i][b] = sum_a AT[i][a] S[a][b] (separable: the 8 T are
// computed once, then Y from them; 24 add/sub for both presets).
// AT holds the sign pattern of A^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1,
// 11 = -1; each coefficient is a constant, so a zero term costs nothing. Sums are computed modulo
// 2^WE (WE >= WY); the exact Y fits in WY bits.
module output_transform #(
    parameter WS = 19,
    parameter WY = 22,
    parameter AT = 16'hD435,
    parameter STEERED = 0
) (
    /* verilator lint_off UNUSEDSIGNAL */  // STEERED = 1: combinational, clk and en unused
    input clk,
    input en,
    /* verilator lint_on UNUSEDSIGNAL */
    input [4*WS-1:0] s0,  // row a of S: S[a][b] at [WS*b +: WS], signed
    input [4*WS-1:0] s1,
    input [4*WS-1:0] s2,
    input [4*WS-1:0] s3,
    output reg [4*WY*(STEERED+1)-1:0] y  // STEERED = 0: Y[i][j] at [WY*(2i+j) +: WY]; 1: two words a sum
);
    localparam WE = (WY > WS) ? WY : WS + 1;

    generate
        if (STEERED == 0) begin : g_sums
// S[a][b] sign-extended to WE bits; a coefficient of A^T; x times a coefficient (code) of A^T.
`define OT_S(a, b) {{(WE-WS+1){s_row[a][WS*(b)+WS-1]}}, s_row[a][WS*(b) +: WS-1]}
`define OT_AT(i, a) AT[2*(4*(i)+(a)) +: 2]
`define OT_TERM(code, x) (((code) == 2'b01) ? (x) : ((code) == 2'b11) ? -(x) : {WE{1'b0}})
// T[i][b] = sum_a AT[i][a] S[a][b], kept in t[4i + b]
`define OT_T(i, b) t[4*(i)+(b)] = `OT_TERM(`OT_AT(i, 0), `OT_S(0, b)) + `OT_TERM(`OT_AT(i, 1), `OT_S(1, b)) \
                                + `OT_TERM(`OT_AT(i, 2), `OT_S(2, b)) + `OT_TERM(`OT_AT(i, 3), `OT_S(3, b));
// Y[i][j] = sum_b AT[j][b] T[i][b], e = 2i + j
`define OT_Y(e) (`OT_TERM(`OT_AT((e) % 2, 0), t[4*((e) / 2)]) + `OT_TERM(`OT_AT((e) % 2, 1), t[4*((e) / 2)+1]) \
               + `OT_TERM(`OT_AT((e) % 2, 2), t[4*((e) / 2)+2]) + `OT_TERM(`OT_AT((e) % 2, 3), t[4*((e) / 2)+3]))

    // Temporaries of the clocked block (written before they are read, no state): the rows of S, T and
    // Y, in memories (an event-driven simulator reads a memory word without the signal lookup a reg costs).
    reg [4*WS-1:0] s_row [0:3];
    reg [WE-1:0] t [0:7];
    reg [WE-1:0] y_e [0:3];
    /* verilator lint_off BLKSEQ */  // blocking writes to the block's temporaries
    always @(posedge clk) begin
        if (en) begin
            s_row[0] = s0;
            s_row[1] = s1;
            s_row[2] = s2;
            s_row[3] = s3;
            `OT_T(0, 0) `OT_T(0, 1) `OT_T(0, 2) `OT_T(0, 3)
            `OT_T(1, 0) `OT_T(1, 1) `OT_T(1, 2) `OT_T(1, 3)
            y_e[0] = `OT_Y(0);
            y_e[1] = `OT_Y(1);
            y_e[2] = `OT_Y(2);
            y_e[3] = `OT_Y(3);
            y <= {y_e[3][WY-1:0], y_e[2][WY-1:0], y_e[1][WY-1:0], y_e[0][WY-1:0]};
        end
    end
    /* verilator lint_on BLKSEQ */

`undef OT_Y
`undef OT_T
`undef OT_TERM
`undef OT_AT
`undef OT_S
        end else begin : g_steered
            // One combinational block (an event-driven simulator runs it once per change of M), each sum
            // one expression over the four coefficients of its A^T row (a zero coefficient gives a
            // constant 0 term: AT is a constant, so it costs no logic). Pass 1, T[i][b] =
            // sum_a AT[i][a] M[a][b] with one pending carry; pass 2 splits each Y[i][j] =
            // sum_b AT[j][b] T[i][b] in two words for the accumulator: Za = the term of the first nonzero
            // coefficient (no adder), Zb = the sum of the others ({0, 0} if none), so that acc + Za and
            // Zb are formed side by side. The one-bit carries are addends of the sums (yosys's alumacc
            // takes a sum of two words and one bit as one adder with carry-in, and a longer sum as one
            // carry-save macc).
            localparam WZ = WY - 1;  // the value part of a word {Z', c}
`define OTS_AT(i, a) AT[2*(4*(i)+(a)) +: 2]
// The rank of term a in row i of A^T: how many nonzero coefficients precede it (a constant).
`define OTS_RANK(i, a) ((((a) > 0) && (`OTS_AT(i, 0) != 2'b00)) + (((a) > 1) && (`OTS_AT(i, 1) != 2'b00)) \
                       + (((a) > 2) && (`OTS_AT(i, 2) != 2'b00)))
`define OTS_SIGNED(code, x) (((code) == 2'b11) ? ~(x) : (x))
`define OTS_N(a, j) {{(WZ-WS+1){1'b1}}, m_row[a][WS*(j) +: WS-1]}
`define OTS_K(a, j) m_row[a][WS*(j)+WS-1]
// T[i][j] = sum_a AT[i][a] M[a][j] in one expression (t_v / t_c [4i + j]): the values of its nonzero
// terms and the carries of all but the last nonzero one are summed, the last one's carry is pending.
`define OTS_NNZ(i) ((`OTS_AT(i, 0) != 2'b00) + (`OTS_AT(i, 1) != 2'b00) + (`OTS_AT(i, 2) != 2'b00) \
                   + (`OTS_AT(i, 3) != 2'b00))
`define OTS_LAST(i, a) ((`OTS_AT(i, a) != 2'b00) && (`OTS_RANK(i, a) == `OTS_NNZ(i) - 1))
`define OTS_TV(i, a, j) ((`OTS_AT(i, a) == 2'b00) ? {WZ{1'b0}} : `OTS_SIGNED(`OTS_AT(i, a), `OTS_N(a, j)))
`define OTS_TK(i, a, j) (((`OTS_AT(i, a) == 2'b00) || `OTS_LAST(i, a)) ? {WZ{1'b0}} \
                        : {{(WZ-1){1'b0}}, `OTS_SIGNED(`OTS_AT(i, a), `OTS_K(a, j))})
`define OTS_TC(i, a, j) (`OTS_LAST(i, a) && `OTS_SIGNED(`OTS_AT(i, a), `OTS_K(a, j)))
`define OTS_T(i, j) \
                t_v[4*(i)+(j)] = `OTS_TV(i, 0, j) + `OTS_TV(i, 1, j) + `OTS_TV(i, 2, j) + `OTS_TV(i, 3, j) \
                                + `OTS_TK(i, 0, j) + `OTS_TK(i, 1, j) + `OTS_TK(i, 2, j) + `OTS_TK(i, 3, j); \
                t_c[4*(i)+(j)] = `OTS_TC(i, 0, j) | `OTS_TC(i, 1, j) | `OTS_TC(i, 2, j) | `OTS_TC(i, 3, j);
// Y[i][j] = Za + Zb, words 2e (Za) and 2e + 1 (Zb) of output e = 2i + j: Za the term of rank 0 of row j
// (value and carry), Zb the values of the later nonzero terms and the carries of all but its last one,
// the last one's carry pending (a row with one nonzero term: Zb = {0, 0}).
`define OTS_ZA(j, b) ((`OTS_AT(j, b) != 2'b00) && (`OTS_RANK(j, b) == 0))
`define OTS_ZB(j, b) ((`OTS_AT(j, b) != 2'b00) && (`OTS_RANK(j, b) > 0))
`define OTS_YV(j, b, i, first) ((first) ? `OTS_SIGNED(`OTS_AT(j, b), t_v[4*(i)+(b)]) : {WZ{1'b0}})
`define OTS_YK(j, b, i) ((`OTS_ZB(j, b) && !`OTS_LAST(j, b)) \
                        ? {{(WZ-1){1'b0}}, `OTS_SIGNED(`OTS_AT(j, b), t_c[4*(i)+(b)])} : {WZ{1'b0}})
`define OTS_YC(j, b, i, first) ((first) && `OTS_SIGNED(`OTS_AT(j, b), t_c[4*(i)+(b)]))
`define OTS_Y(i, j) \
                y_w[4*(i)+2*(j)] = {`OTS_YV(j, 0, i, `OTS_ZA(j, 0)) | `OTS_YV(j, 1, i, `OTS_ZA(j, 1)) \
                                    | `OTS_YV(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YV(j, 3, i, `OTS_ZA(j, 3)), \
                                    `OTS_YC(j, 0, i, `OTS_ZA(j, 0)) | `OTS_YC(j, 1, i, `OTS_ZA(j, 1)) \
                                    | `OTS_YC(j, 2, i, `OTS_ZA(j, 2)) | `OTS_YC(j, 3, i, `OTS_ZA(j, 3))}; \
                y_w[4*(i)+2*(j)+1] = {`OTS_YV(j, 0, i, `OTS_ZB(j, 0)) + `OTS_YV(j, 1, i, `OTS_ZB(j, 1)) \
                                      + `OTS_YV(j, 2, i, `OTS_ZB(j, 2)) + `OTS_YV(j, 3, i, `OTS_ZB(j, 3)) \
                                      + `OTS_YK(j, 0, i) + `OTS_YK(j, 1, i) + `OTS_YK(j, 2, i) + `OTS_YK(j, 3, i), \
                                      `OTS_YC(j, 0, i, `OTS_ZB(j, 0) && `OTS_LAST(j, 0)) \
                                      | `OTS_YC(j, 1, i, `OTS_ZB(j, 1) && `OTS_LAST(j, 1)) \
                                      | `OTS_YC(j, 2, i, `OTS_ZB(j, 2) && `OTS_LAST(j, 2)) \
                                      | `OTS_YC(j, 3, i, `OTS_ZB(j, 3) && `OTS_LAST(j, 3))};

            // Temporaries (written before they are read, no state), in memories as in the S form.
            reg [4*WS-1:0] m_row [0:3];
            reg [WZ-1:0] t_v [0:7];
            reg t_c [0:7];
            reg [WY-1:0] y_w [0:7];
            /* verilator lint_off BLKSEQ */
            always @(s0 or s1 or s2 or s3) begin
                m_row[0] = s0;
                m_row[1] = s1;
                m_row[2] = s2;
                m_row[3] = s3;
                `OTS_T(0, 0) `OTS_T(0, 1) `OTS_T(0, 2) `OTS_T(0, 3)
                `OTS_T(1, 0) `OTS_T(1, 1) `OTS_T(1, 2) `OTS_T(1, 3)
                `OTS_Y(0, 0) `OTS_Y(0, 1) `OTS_Y(1, 0) `OTS_Y(1, 1)
                y = {y_w[7], y_w[6], y_w[5], y_w[4], y_w[3], y_w[2], y_w[1], y_w[0]};
            end
            /* verilator lint_on BLKSEQ */
`undef OTS_Y
`undef OTS_YC
`undef OTS_YK
`undef OTS_YV
`undef OTS_ZB
`undef OTS_ZA
`undef OTS_T
`undef OTS_TC
`undef OTS_TV
`undef OTS_TK
`undef OTS_LAST
`undef OTS_NNZ
`undef OTS_K
`undef OTS_N
`undef OTS_SIGNED
`undef OTS_RANK
`undef OTS_AT
        end
    endgenerate
endmodule
