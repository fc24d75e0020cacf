// input_transform: V = B^T d B on one 4x4 input tile (docs/datapath.md), combinational.
// Separable form: T = B^T d (16 sums of 4 signed terms), then V = T B (16 more); a zero coefficient
// costs nothing after constant propagation (32 add/sub for both presets).
// BT holds the sign pattern of B^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1,
// 11 = -1. Sums are computed modulo 2^WE (WE >= WV); the exact result fits in WV bits, so the low WV
// bits are the exact V. One always block computes the whole tile and assigns it once (one simulator
// event per input change).
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

    reg [WA:0] d_signed;       // an activation as a (WA+1)-bit signed value
    reg [16*WE-1:0] d_ext;     // d[r][c] sign-extended to WE bits
    reg [16*WE-1:0] t;         // T[i][c] = sum_a BT[i][a] d[a][c]
    reg [WE-1:0] v_elem;       // V[i][j] = sum_b BT[j][b] T[i][b]
    reg [16*WV-1:0] v_work, v_tile;
    integer e, i, j;

    always @* begin
        for (e = 0; e < 16; e = e + 1) begin
            d_signed = {(A_SIGNED != 0) & d[WA*e+WA-1], d[WA*e +: WA]};
            d_ext[WE*e +: WE] = {{(WE-WA){d_signed[WA]}}, d_signed[WA-1:0]};
        end
        for (i = 0; i < 4; i = i + 1) begin
            for (j = 0; j < 4; j = j + 1) begin
                t[WE*(4*i+j) +: WE] =
                    signed_term(BT[2*(4*i+0) +: 2], d_ext[WE*(4*0+j) +: WE]) +
                    signed_term(BT[2*(4*i+1) +: 2], d_ext[WE*(4*1+j) +: WE]) +
                    signed_term(BT[2*(4*i+2) +: 2], d_ext[WE*(4*2+j) +: WE]) +
                    signed_term(BT[2*(4*i+3) +: 2], d_ext[WE*(4*3+j) +: WE]);
            end
        end
        for (i = 0; i < 4; i = i + 1) begin
            for (j = 0; j < 4; j = j + 1) begin
                v_elem =
                    signed_term(BT[2*(4*j+0) +: 2], t[WE*(4*i+0) +: WE]) +
                    signed_term(BT[2*(4*j+1) +: 2], t[WE*(4*i+1) +: WE]) +
                    signed_term(BT[2*(4*j+2) +: 2], t[WE*(4*i+2) +: WE]) +
                    signed_term(BT[2*(4*j+3) +: 2], t[WE*(4*i+3) +: WE]);
                v_work[WV*(4*i+j) +: WV] = v_elem[WV-1:0];
            end
        end
        v_tile = v_work;  // one assignment: one output event per evaluation
    end

    assign v = v_tile;
endmodule
