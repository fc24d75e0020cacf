// output_transform: Y = A^T S A, the 2x2 output tile from the 4x4 Winograd-domain sum, registered:
// at a rising clock edge with en = 1, y is loaded with the transform of S; otherwise it holds.
// S arrives as its four rows (s0..s3, one per channel_accumulate row). In winoadder_core this is the
// stage-4 register, loaded only for a finished accumulation, so an event-driven simulator evaluates
// the transform only then, not whenever an accumulator changes.
// Y[i][j] = sum_b AT[j][b] T[i][b] with T[i][b] = sum_a AT[i][a] S[a][b] (separable: the 8 T are
// computed once, then Y from them; 24 add/sub for both presets).
// AT holds the sign pattern of A^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1,
// 11 = -1; each coefficient is a constant, so a zero term costs nothing. Sums are computed modulo
// 2^WE (WE >= WY); the exact Y fits in WY bits.
module output_transform #(
    parameter WS = 19,
    parameter WY = 22,
    parameter AT = 16'hD435
) (
    input clk,
    input en,
    input [4*WS-1:0] s0,  // row a of S: S[a][b] at [WS*b +: WS], signed
    input [4*WS-1:0] s1,
    input [4*WS-1:0] s2,
    input [4*WS-1:0] s3,
    output reg [4*WY-1:0] y  // Y[i][j] at [WY*(2i+j) +: WY]
);
    localparam WE = (WY > WS) ? WY : WS + 1;

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
endmodule
