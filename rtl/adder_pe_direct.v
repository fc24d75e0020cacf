// adder_pe_direct: a direct AdderNet PE, the baseline for the area comparison (docs/rtl.md).
// Per lane and channel step it forms the 2x2 outputs of a 3x3 adder filter on a 4x4 input tile with
// 36 -|x - w| units (nine neg_abs_diff rows): Y[i][j] = sum_ab -|d[i+a][j+b] - g[a][b]|, accumulated
// over input channels by the same channel_accumulate (one row: the lane's 4 outputs) and cast by the
// same requantize as winoadder_core.
// Weights g share the activation grid (signed, WG bits). Same handshake as winoadder_core (global
// stall, one transaction per cycle); 4 register stages: M, the 9-term sums, acc, out_y.
// Packing: in_tile as winoadder_core; in_w lane p, g[a][b] at bits [WG*(9p + 3a + b) +: WG].
/* verilator lint_off MULTITOP */  // a top-level design: linting rtl/*.v together sees two tops
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

    // The 36 (x, w) pairs of a lane: unit 9*(2i+j) + 3a + b pairs d[i+a][j+b] with g[a][b]. Each
    // combinational group below is one always block that assigns its result once (one simulator event
    // per input change); its sensitivity list names its input only, since the temporaries are written
    // before they are read (with a star list it would also wake on every write to them).
    reg [36*WX-1:0] x_work, x_pairs;
    reg [P*36*WG-1:0] w_work, w_pairs;
    reg [WA-1:0] x;
    integer i, j, a, b;          // x pairs
    integer w_lane, w_copy;      // w pairs

    always @(in_tile) begin
        for (i = 0; i < 2; i = i + 1) begin
            for (j = 0; j < 2; j = j + 1) begin
                for (a = 0; a < 3; a = a + 1) begin
                    for (b = 0; b < 3; b = b + 1) begin
                        x = in_tile[WA*(4*(i+a)+(j+b)) +: WA];
                        x_work[WX*(9*(2*i+j)+3*a+b) +: WX] = {(A_SIGNED != 0) & x[WA-1], x};
                    end
                end
            end
        end
        x_pairs = x_work;
    end

    always @(in_w) begin
        for (w_lane = 0; w_lane < P; w_lane = w_lane + 1) begin
            for (w_copy = 0; w_copy < 4; w_copy = w_copy + 1) begin
                w_work[WG*(36*w_lane+9*w_copy) +: 9*WG] = in_w[9*WG*w_lane +: 9*WG];
            end
        end
        w_pairs = w_work;
    end

    reg s1_valid, s1_first, s1_last;
    wire [P*36*WDIF-1:0] s1_m;  // the stage-1 register, in neg_abs_diff
    reg s2_valid, s2_first, s2_last;
    reg [P*4*WP-1:0] s2_sums;
    reg s3_valid;
    wire [P*4*WO-1:0] q;
    reg s4_valid;
    reg [P*4*WO-1:0] s4_q;

    genvar p, k;
    generate
        for (p = 0; p < P; p = p + 1) begin : g_lane
            wire [4*WS-1:0] acc;  // per lane, so a lane's update only wakes its own requantizers
            for (k = 0; k < 9; k = k + 1) begin : g_units  // units 4k..4k+3 of the lane's 36
                neg_abs_diff #(.WU(WG), .WVA(WX), .WD(WDIF), .WM(WDIF)) u_neg_abs_diff (
                    .clk(clk),
                    .en(advance & in_valid),
                    .u(w_pairs[WG*(36*p+4*k) +: 4*WG]),
                    .va(x_pairs[WX*4*k +: 4*WX]),
                    .m(s1_m[WDIF*(36*p+4*k) +: 4*WDIF])
                );
            end
            channel_accumulate #(.WM(WP), .WS(WS), .ACC_SAT(ACC_SAT)) u_channel_accumulate (
                .clk(clk),
                .rst(rst),
                .en(advance & s2_valid),
                .first(s2_first),
                .m(s2_sums[4*WP*p +: 4*WP]),
                .acc(acc)
            );
            for (k = 0; k < 4; k = k + 1) begin : g_out
                requantize #(
                    .WY(WS), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND), .OVF(OVF)
                ) u_requantize (
                    .y(acc[WS*k +: WS]),
                    .q(q[WO*(4*p+k) +: WO])
                );
            end
        end
    endgenerate

    // The four 9-term sums of each lane (stage 2), each computed inside its own clocked block (once per
    // loading edge in an event-driven simulator) and written to its slice of s2_sums.
    // Tap t of output k of lane p, sign-extended to WP bits:
`define DP_TAP(p, k, t) {{(WP-WDIF+1){s1_m[WDIF*(36*(p)+9*(k)+(t))+WDIF-1]}}, s1_m[WDIF*(36*(p)+9*(k)+(t)) +: WDIF-1]}
    generate
        for (k = 0; k < 4*P; k = k + 1) begin : g_sum  // k = 4p + output
            always @(posedge clk) begin
                if (advance) begin
                    s2_sums[WP*k +: WP] <= `DP_TAP(k / 4, k % 4, 0) + `DP_TAP(k / 4, k % 4, 1) + `DP_TAP(k / 4, k % 4, 2)
                                         + `DP_TAP(k / 4, k % 4, 3) + `DP_TAP(k / 4, k % 4, 4) + `DP_TAP(k / 4, k % 4, 5)
                                         + `DP_TAP(k / 4, k % 4, 6) + `DP_TAP(k / 4, k % 4, 7) + `DP_TAP(k / 4, k % 4, 8);
                end
            end
        end
    endgenerate
`undef DP_TAP

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
            s1_first <= in_first;
            s1_last <= in_last;
            s2_first <= s1_first;
            s2_last <= s1_last;
            s4_q <= q;
        end
    end

    assign out_valid = s4_valid;
    assign out_y = s4_q;
endmodule
