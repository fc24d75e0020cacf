// output_transform: Y = A^T S A, the 2x2 output tile from the 4x4 Winograd-domain sum, combinational.
// Separable form: T = A^T S (8 sums of 4 signed terms), then Y = T A (4 more); a zero coefficient
// costs nothing after constant propagation (24 add/sub for both presets).
// AT holds the sign pattern of A^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1,
// 11 = -1. Sums are computed modulo 2^WE (WE >= WY); the exact Y fits in WY bits. One always block
// computes the whole tile and assigns it once (one simulator event per input change).
module output_transform #(
    parameter WS = 19,
    parameter WY = 22,
    parameter AT = 16'hD435
) (
    input [16*WS-1:0] s,
    output [4*WY-1:0] y
);
    localparam WE = (WY > WS) ? WY : WS + 1;

    function [WE-1:0] signed_term;
        input [1:0] code;
        input [WE-1:0] x;
        begin
            case (code)
                2'b01: signed_term = x;
                2'b11: signed_term = -x;
                default: signed_term = {WE{1'b0}};
            endcase
        end
    endfunction

    reg [16*WE-1:0] s_ext;  // S[a][b] sign-extended to WE bits
    reg [8*WE-1:0] t;       // T[i][b] = sum_a AT[i][a] S[a][b]
    reg [WE-1:0] y_elem;    // Y[i][j] = sum_b AT[j][b] T[i][b]
    reg [4*WY-1:0] y_work, y_tile;
    integer e, i, j;

    always @* begin
        for (e = 0; e < 16; e = e + 1) begin
            s_ext[WE*e +: WE] = {{(WE-WS+1){s[WS*e+WS-1]}}, s[WS*e +: WS-1]};
        end
        for (i = 0; i < 2; i = i + 1) begin
            for (j = 0; j < 4; j = j + 1) begin
                t[WE*(4*i+j) +: WE] =
                    signed_term(AT[2*(4*i+0) +: 2], s_ext[WE*(4*0+j) +: WE]) +
                    signed_term(AT[2*(4*i+1) +: 2], s_ext[WE*(4*1+j) +: WE]) +
                    signed_term(AT[2*(4*i+2) +: 2], s_ext[WE*(4*2+j) +: WE]) +
                    signed_term(AT[2*(4*i+3) +: 2], s_ext[WE*(4*3+j) +: WE]);
            end
        end
        for (i = 0; i < 2; i = i + 1) begin
            for (j = 0; j < 2; j = j + 1) begin
                y_elem =
                    signed_term(AT[2*(4*j+0) +: 2], t[WE*(4*i+0) +: WE]) +
                    signed_term(AT[2*(4*j+1) +: 2], t[WE*(4*i+1) +: WE]) +
                    signed_term(AT[2*(4*j+2) +: 2], t[WE*(4*i+2) +: WE]) +
                    signed_term(AT[2*(4*j+3) +: 2], t[WE*(4*i+3) +: WE]);
                y_work[WY*(2*i+j) +: WY] = y_elem[WY-1:0];
            end
        end
        y_tile = y_work;  // one assignment: one output event per evaluation
    end

    assign y = y_tile;
endmodule
