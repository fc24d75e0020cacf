// input_transform: V = B^T d B, the 4x4 Winograd-domain input tile, registered: at a rising clock edge
// with en = 1, v is loaded with the transform of d; otherwise it holds (in winoadder_core this is the
// stage-1 register). Evaluated inside the clocked block, once per loading edge in an event-driven
// simulator. V[i][j] = sum_b BT[j][b] T[i][b] with T[i][b] = sum_a BT[i][a] d[a][b] (separable; the
// outputs of row i share their T terms, which synthesis merges: 32 add/sub for both presets).
// BT holds the sign pattern of B^T: entry [i][j] at bits [2(4i+j)+1 : 2(4i+j)], 00 = 0, 01 = +1,
// 11 = -1; each coefficient is a constant, so a zero term costs nothing. Sums are computed modulo 2^WE
// (WE >= WV), signed even for unsigned activations; the exact V fits in WV bits.
module input_transform #(
    parameter WA = 8,
    parameter A_SIGNED = 1,
    parameter WV = 10,
    parameter BT = 32'hC4341431
) (
    input clk,
    input en,
    input [16*WA-1:0] d,
    output [16*WV-1:0] v
);
    // Working width: at least WV, and wide enough to hold an activation as a signed value.
    localparam WE = (WV > WA) ? WV : WA + 1;
    localparam SIGN_BIT = (A_SIGNED != 0) ? 1'b1 : 1'b0;  // 0: d is unsigned, extend with zeros

// d[a][b] as a WE-bit signed value; a coefficient of B^T; x times a coefficient (code) of B^T.
`define IT_D(a, b) {{(WE-WA){SIGN_BIT & d[WA*(4*(a)+(b))+WA-1]}}, d[WA*(4*(a)+(b)) +: WA]}
`define IT_BT(i, a) BT[2*(4*(i)+(a)) +: 2]
`define IT_TERM(code, x) (((code) == 2'b01) ? (x) : ((code) == 2'b11) ? -(x) : {WE{1'b0}})
// T[i][b] = sum_a BT[i][a] d[a][b]
`define IT_T(i, b) (`IT_TERM(`IT_BT(i, 0), `IT_D(0, b)) + `IT_TERM(`IT_BT(i, 1), `IT_D(1, b)) \
                  + `IT_TERM(`IT_BT(i, 2), `IT_D(2, b)) + `IT_TERM(`IT_BT(i, 3), `IT_D(3, b)))

// V[i][j] = sum_b BT[j][b] T[i][b], e = 4i + j
`define IT_V(e) (`IT_TERM(`IT_BT((e) % 4, 0), `IT_T((e) / 4, 0)) + `IT_TERM(`IT_BT((e) % 4, 1), `IT_T((e) / 4, 1)) \
               + `IT_TERM(`IT_BT((e) % 4, 2), `IT_T((e) / 4, 2)) + `IT_TERM(`IT_BT((e) % 4, 3), `IT_T((e) / 4, 3)))

    // One register for the tile, each element written by its own always block (an element update is
    // one event on v, not a chain of per-element nets merged into a bus).
    reg [16*WV-1:0] v_q;
    assign v = v_q;

    genvar e;
    generate
        for (e = 0; e < 16; e = e + 1) begin : g_v
            if (WE == WV) begin : g_exact
                always @(posedge clk) begin
                    if (en) v_q[WV*e +: WV] <= `IT_V(e);
                end
            end else begin : g_wide  // keep the low WV bits of the WE-bit sum
                /* verilator lint_off UNUSEDSIGNAL */
                wire [WE-1:0] sum = `IT_V(e);
                /* verilator lint_on UNUSEDSIGNAL */
                always @(posedge clk) begin
                    if (en) v_q[WV*e +: WV] <= sum[WV-1:0];
                end
            end
        end
    endgenerate

`undef IT_V
`undef IT_T
`undef IT_TERM
`undef IT_BT
`undef IT_D
endmodule
