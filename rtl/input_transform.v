// input_transform: V = B^T d B on one 4x4 input tile (docs/datapath.md), combinational.
// Separable form: T = B^T d (16 sums of 4 signed terms), then V = T B (16 more), 32 add/sub in all.
// BT holds the sign pattern of B^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1,
// 11 = -1. Sums are computed modulo 2^WE (WE >= WV); the exact result fits in WV bits, so the low WV
// bits are the exact V.
module input_transform #(
    parameter WA = 8,
    parameter A_SIGNED = 1,
    parameter WV = 10,
    parameter BT = 32'hC4341431
) (
    input [16*WA-1:0] d,
    output [16*WV-1:0] v
);
    // Working width: at least WV, and wide enough to hold an activation as a signed value.
    localparam WE = (WV > WA) ? WV : WA + 1;

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

    wire [16*WE-1:0] d_ext;  // d[r][c] as a WE-bit signed value
    wire [16*WE-1:0] t;      // T[i][c] = sum_a BT[i][a] d[a][c]
    wire [16*WE-1:0] v_ext;  // V[i][j] = sum_b BT[j][b] T[i][b]

    genvar i, j;
    generate
        for (i = 0; i < 16; i = i + 1) begin : g_ext
            // A (WA+1)-bit signed copy of the activation, then sign-extended to WE bits.
            wire [WA:0] d_signed = {(A_SIGNED != 0) & d[WA*i+WA-1], d[WA*i +: WA]};
            assign d_ext[WE*i +: WE] = {{(WE-WA){d_signed[WA]}}, d_signed[WA-1:0]};
        end
        for (i = 0; i < 4; i = i + 1) begin : g_row
            for (j = 0; j < 4; j = j + 1) begin : g_col
                assign t[WE*(4*i+j) +: WE] =
                    signed_term(BT[2*(4*i+0) +: 2], d_ext[WE*(4*0+j) +: WE]) +
                    signed_term(BT[2*(4*i+1) +: 2], d_ext[WE*(4*1+j) +: WE]) +
                    signed_term(BT[2*(4*i+2) +: 2], d_ext[WE*(4*2+j) +: WE]) +
                    signed_term(BT[2*(4*i+3) +: 2], d_ext[WE*(4*3+j) +: WE]);
                assign v_ext[WE*(4*i+j) +: WE] =
                    signed_term(BT[2*(4*j+0) +: 2], t[WE*(4*i+0) +: WE]) +
                    signed_term(BT[2*(4*j+1) +: 2], t[WE*(4*i+1) +: WE]) +
                    signed_term(BT[2*(4*j+2) +: 2], t[WE*(4*i+2) +: WE]) +
                    signed_term(BT[2*(4*j+3) +: 2], t[WE*(4*i+3) +: WE]);
                assign v[WV*(4*i+j) +: WV] = v_ext[WE*(4*i+j) +: WV];
            end
        end
    endgenerate
endmodule
