// output_transform: Y = A^T S A, the 2x2 output tile from the 4x4 Winograd-domain sum, registered:
// at a rising clock edge with en = 1, y is loaded with the transform of s; otherwise it holds.
// In winoadder_core this is the stage-4 register, loaded only for a finished accumulation, so an
// event-driven simulator evaluates the transform only then, not whenever an accumulator changes.
// Y[i][j] = sum_b AT[j][b] T[i][b] with T[i][b] = sum_a AT[i][a] S[a][b] (separable; the two
// outputs of row i share their T terms, which synthesis merges: 24 add/sub for both presets).
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
    input [16*WS-1:0] s,
    output [4*WY-1:0] y
);
    localparam WE = (WY > WS) ? WY : WS + 1;

// S[a][b] sign-extended to WE bits; a coefficient of A^T; x times a coefficient (code) of A^T.
`define OT_S(a, b) {{(WE-WS+1){s[WS*(4*(a)+(b))+WS-1]}}, s[WS*(4*(a)+(b)) +: WS-1]}
`define OT_AT(i, a) AT[2*(4*(i)+(a)) +: 2]
`define OT_TERM(code, x) (((code) == 2'b01) ? (x) : ((code) == 2'b11) ? -(x) : {WE{1'b0}})
// T[i][b] = sum_a AT[i][a] S[a][b]
`define OT_T(i, b) (`OT_TERM(`OT_AT(i, 0), `OT_S(0, b)) + `OT_TERM(`OT_AT(i, 1), `OT_S(1, b)) \
                  + `OT_TERM(`OT_AT(i, 2), `OT_S(2, b)) + `OT_TERM(`OT_AT(i, 3), `OT_S(3, b)))

    genvar e;
    generate
        for (e = 0; e < 4; e = e + 1) begin : g_y  // e = 2i + j
            reg [WE-1:0] y_q;
            always @(posedge clk) begin
                if (en) begin
                    y_q <= `OT_TERM(`OT_AT(e % 2, 0), `OT_T(e / 2, 0)) + `OT_TERM(`OT_AT(e % 2, 1), `OT_T(e / 2, 1))
                         + `OT_TERM(`OT_AT(e % 2, 2), `OT_T(e / 2, 2)) + `OT_TERM(`OT_AT(e % 2, 3), `OT_T(e / 2, 3));
                end
            end
            assign y[WY*e +: WY] = y_q[WY-1:0];
        end
    endgenerate

`undef OT_T
`undef OT_TERM
`undef OT_AT
`undef OT_S
endmodule
