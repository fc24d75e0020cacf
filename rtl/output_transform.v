// output_transform: Y = A^T S A, the 2x2 output tile from the 4x4 Winograd-domain sum, combinational.
// Separable form: T = A^T S (8 sums of 4 signed terms), then Y = T A (4 more). AT holds the sign
// pattern of A^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1, 11 = -1. Each term is
// chosen at elaboration (generate-if on the constant code): a zero coefficient costs nothing
// (24 add/sub for both presets). Sums are computed modulo 2^WE (WE >= WY); the exact Y fits in WY
// bits. Every element is its own net (net arrays, per-element continuous assigns).
module output_transform #(
    parameter WS = 19,
    parameter WY = 22,
    parameter AT = 16'hD435
) (
    input [16*WS-1:0] s,
    output [4*WY-1:0] y
);
    localparam WE = (WY > WS) ? WY : WS + 1;

    wire [WE-1:0] s_ext [0:15];   // S[a][b] at 4a + b, sign-extended to WE bits
    wire [WE-1:0] t_term [0:31];  // AT[i][a] S[a][b] at 4(4i + b) + a
    wire [WE-1:0] t [0:7];        // T[i][b] = sum_a AT[i][a] S[a][b] at 4i + b
    wire [WE-1:0] y_term [0:15];  // AT[j][b] T[i][b] at 4(2i + j) + b
    wire [WE-1:0] y_elem [0:3];   // Y[i][j] = sum_b AT[j][b] T[i][b] at 2i + j

    genvar e, k;
    generate
        for (e = 0; e < 16; e = e + 1) begin : g_in
            wire [WS-1:0] s_e = s[WS*e +: WS];
            assign s_ext[e] = {{(WE-WS+1){s_e[WS-1]}}, s_e[WS-2:0]};
        end
        for (e = 0; e < 8; e = e + 1) begin : g_t  // e = 4i + b
            for (k = 0; k < 4; k = k + 1) begin : g_term
                localparam [1:0] CODE = AT[2*(4*(e/4)+k) +: 2];
                if (CODE == 2'b01) begin : g_pos
                    assign t_term[4*e+k] = s_ext[4*k+e%4];
                end else if (CODE == 2'b11) begin : g_neg
                    assign t_term[4*e+k] = -s_ext[4*k+e%4];
                end else begin : g_zero
                    assign t_term[4*e+k] = {WE{1'b0}};
                end
            end
            assign t[e] = t_term[4*e] + t_term[4*e+1] + t_term[4*e+2] + t_term[4*e+3];
        end
        for (e = 0; e < 4; e = e + 1) begin : g_y  // e = 2i + j
            for (k = 0; k < 4; k = k + 1) begin : g_term
                localparam [1:0] CODE = AT[2*(4*(e%2)+k) +: 2];
                if (CODE == 2'b01) begin : g_pos
                    assign y_term[4*e+k] = t[4*(e/2)+k];
                end else if (CODE == 2'b11) begin : g_neg
                    assign y_term[4*e+k] = -t[4*(e/2)+k];
                end else begin : g_zero
                    assign y_term[4*e+k] = {WE{1'b0}};
                end
            end
            assign y_elem[e] = y_term[4*e] + y_term[4*e+1] + y_term[4*e+2] + y_term[4*e+3];
        end
    endgenerate

    // The tile is packed in one always block that assigns y once (one simulator event per evaluation).
    reg [4*WY-1:0] y_work, y_tile;
    integer p;
    always @* begin
        for (p = 0; p < 4; p = p + 1) begin
            y_work[WY*p +: WY] = y_elem[p][WY-1:0];
        end
        y_tile = y_work;
    end
    assign y = y_tile;
endmodule
