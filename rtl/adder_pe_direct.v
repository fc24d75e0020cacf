// adder_pe_direct: a direct AdderNet PE, the baseline for the area comparison (docs/rtl.md).
// Per lane and channel step it forms the 2x2 outputs of a 3x3 adder filter on a 4x4 input tile with
// 36 -|x - w| units: Y[i][j] = sum_ab -|d[i+a][j+b] - g[a][b]|, accumulated over input channels by the
// same channel_accumulate (4 entries per lane) and cast by the same requantize as winoadder_core.
// Weights g share the activation grid (signed, WG bits). Same handshake as winoadder_core (global
// stall, one transaction per cycle); 4 register stages: M, the 9-term sums, acc, out_y.
// Packing: in_tile as winoadder_core; in_w lane p, g[a][b] at bits [WG*(9p + 3a + b) +: WG].
module adder_pe_direct #(
    parameter P = 4,
    parameter WA = 8,
    parameter A_SIGNED = 1,
    parameter WG = 8,
    parameter WDIF = 9,
    parameter WP = 13,
    parameter WS = 19,
    parameter ACC_SAT = 1,
    parameter WO = 8,
    parameter O_SIGNED = 1,
    parameter SHIFT = 0,
    parameter ROUND = 4,
    parameter OVF = 1
) (
    input clk,
    input rst,
    input in_valid,
    output in_ready,
    input [16*WA-1:0] in_tile,
    input [P*9*WG-1:0] in_w,
    input in_first,
    input in_last,
    output out_valid,
    input out_ready,
    output [P*4*WO-1:0] out_y
);
    localparam WX = WA + 1;  // activations as signed values

    wire advance = ~out_valid | out_ready;
    assign in_ready = advance & ~rst;

    // The 36 (x, w) pairs of one lane: unit 9*(2i+j) + 3a + b pairs d[i+a][j+b] with g[a][b].
    wire [36*WX-1:0] x_pairs;
    genvar p, i, j, a, b;
    generate
        for (i = 0; i < 2; i = i + 1) begin : g_i
            for (j = 0; j < 2; j = j + 1) begin : g_j
                for (a = 0; a < 3; a = a + 1) begin : g_a
                    for (b = 0; b < 3; b = b + 1) begin : g_b
                        wire [WA-1:0] x = in_tile[WA*(4*(i+a)+(j+b)) +: WA];
                        assign x_pairs[WX*(9*(2*i+j)+3*a+b) +: WX] = {(A_SIGNED != 0) & x[WA-1], x};
                    end
                end
            end
        end
    endgenerate

    wire [P*36*WDIF-1:0] m;
    reg s1_valid, s1_first, s1_last;
    reg [P*36*WDIF-1:0] s1_m;
    wire [P*4*WP-1:0] sums;
    reg s2_valid, s2_first, s2_last;
    reg [P*4*WP-1:0] s2_sums;
    wire [P*4*WS-1:0] acc;
    reg s3_valid;
    wire [P*4*WO-1:0] q;
    reg s4_valid;
    reg [P*4*WO-1:0] s4_q;

    generate
        for (p = 0; p < P; p = p + 1) begin : g_lane
            wire [36*WG-1:0] w_pairs;
            for (i = 0; i < 4; i = i + 1) begin : g_w
                assign w_pairs[9*WG*i +: 9*WG] = in_w[9*WG*p +: 9*WG];
            end
            neg_abs_diff #(.N(36), .WU(WG), .WVA(WX), .WD(WDIF), .WM(WDIF)) u_neg_abs_diff (
                .u(w_pairs),
                .va(x_pairs),
                .m(m[36*WDIF*p +: 36*WDIF])
            );
            for (i = 0; i < 4; i = i + 1) begin : g_sum
                wire [9*WP-1:0] terms;
                for (a = 0; a < 9; a = a + 1) begin : g_term
                    wire [WDIF-1:0] t = s1_m[WDIF*(36*p+9*i+a) +: WDIF];
                    assign terms[WP*a +: WP] = {{(WP-WDIF+1){t[WDIF-1]}}, t[WDIF-2:0]};
                end
                assign sums[WP*(4*p+i) +: WP] =
                    terms[WP*0 +: WP] + terms[WP*1 +: WP] + terms[WP*2 +: WP] +
                    terms[WP*3 +: WP] + terms[WP*4 +: WP] + terms[WP*5 +: WP] +
                    terms[WP*6 +: WP] + terms[WP*7 +: WP] + terms[WP*8 +: WP];
            end
            channel_accumulate #(.N(4), .WM(WP), .WS(WS), .ACC_SAT(ACC_SAT)) u_channel_accumulate (
                .clk(clk),
                .rst(rst),
                .en(advance & s2_valid),
                .first(s2_first),
                .m(s2_sums[4*WP*p +: 4*WP]),
                .acc(acc[4*WS*p +: 4*WS])
            );
            for (i = 0; i < 4; i = i + 1) begin : g_out
                requantize #(
                    .WY(WS), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND), .OVF(OVF)
                ) u_requantize (
                    .y(acc[WS*(4*p+i) +: WS]),
                    .q(q[WO*(4*p+i) +: WO])
                );
            end
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            s1_valid <= 1'b0;
            s2_valid <= 1'b0;
            s3_valid <= 1'b0;
            s4_valid <= 1'b0;
        end else if (advance) begin
            s1_valid <= in_valid;
            s2_valid <= s1_valid;
            s3_valid <= s2_valid & s2_last;
            s4_valid <= s3_valid;
        end
    end

    always @(posedge clk) begin
        if (advance) begin
            s1_m <= m;
            s1_first <= in_first;
            s1_last <= in_last;
            s2_sums <= sums;
            s2_first <= s1_first;
            s2_last <= s1_last;
            s4_q <= q;
        end
    end

    assign out_valid = s4_valid;
    assign out_y = s4_q;
endmodule
