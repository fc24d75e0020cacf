// input_transform: V = B^T d B, the 4x4 Winograd-domain input tile, combinational.
// Separable form: T = B^T d (16 sums of 4 signed terms), then V = T B (16 more). BT holds the sign
// pattern of B^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1, 11 = -1. Each term is
// chosen at elaboration (generate-if on the constant code): a zero coefficient costs nothing, so
// synthesis keeps only the adds and subtracts the matrix needs (32 add/sub for both presets).
// Sums are computed modulo 2^WE (WE >= WV); the exact V fits in WV bits. Every element is its own
// net (net arrays, per-element continuous assigns), so an event-driven simulator only re-evaluates
// what an input change reaches.
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

    wire [WE-1:0] d_ext [0:15];      // d[r][c] at 4r + c, as a WE-bit signed value
    wire [WE-1:0] t_term [0:63];     // BT[i][a] d[a][c] at 4(4i + c) + a
    wire [WE-1:0] t [0:15];          // T[i][c] = sum_a BT[i][a] d[a][c] at 4i + c
    wire [WE-1:0] v_term [0:63];     // BT[j][b] T[i][b] at 4(4i + j) + b
    wire [WE-1:0] v_elem [0:15];     // V[i][j] = sum_b BT[j][b] T[i][b] at 4i + j

    genvar e, k;
    generate
        for (e = 0; e < 16; e = e + 1) begin : g_elem
            wire [WA-1:0] d_e = d[WA*e +: WA];
            if (A_SIGNED != 0) begin : g_signed
                assign d_ext[e] = {{(WE-WA){d_e[WA-1]}}, d_e};
            end else begin : g_unsigned
                assign d_ext[e] = {{(WE-WA){1'b0}}, d_e};
            end
            // Term k of T[i][c] (e = 4i + c): BT[i][k] d[k][c]; term k of V[i][j] (e = 4i + j): BT[j][k] T[i][k].
            for (k = 0; k < 4; k = k + 1) begin : g_term
                localparam [1:0] T_CODE = BT[2*(4*(e/4)+k) +: 2];
                localparam [1:0] V_CODE = BT[2*(4*(e%4)+k) +: 2];
                if (T_CODE == 2'b01) begin : g_t_pos
                    assign t_term[4*e+k] = d_ext[4*k+e%4];
                end else if (T_CODE == 2'b11) begin : g_t_neg
                    assign t_term[4*e+k] = -d_ext[4*k+e%4];
                end else begin : g_t_zero
                    assign t_term[4*e+k] = {WE{1'b0}};
                end
                if (V_CODE == 2'b01) begin : g_v_pos
                    assign v_term[4*e+k] = t[4*(e/4)+k];
                end else if (V_CODE == 2'b11) begin : g_v_neg
                    assign v_term[4*e+k] = -t[4*(e/4)+k];
                end else begin : g_v_zero
                    assign v_term[4*e+k] = {WE{1'b0}};
                end
            end
            assign t[e] = t_term[4*e] + t_term[4*e+1] + t_term[4*e+2] + t_term[4*e+3];
            assign v_elem[e] = v_term[4*e] + v_term[4*e+1] + v_term[4*e+2] + v_term[4*e+3];
        end
    endgenerate

    // The tile is packed in one always block that assigns v once (one simulator event per evaluation).
    reg [16*WV-1:0] v_work, v_tile;
    integer p;
    always @* begin
        for (p = 0; p < 16; p = p + 1) begin
            v_work[WV*p +: WV] = v_elem[p][WV-1:0];
        end
        v_tile = v_work;
    end
    assign v = v_tile;
endmodule
