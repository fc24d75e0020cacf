// winoadder_core: the Winograd-adder accelerator (docs/datapath.md, docs/rtl.md).
// One input transform and align shared by P output-channel lanes; per lane four neg_abs_diff rows (16
// units M = -|U - Va| in steered form, the lane's only pipeline register besides its state). Two forms,
// chosen by Y_ACC (simulator.rtl_params derives it from the config):
//   Y_ACC = 1 (the accumulator is exact: no clamp or wrap can act), output-domain accumulation: per
//     lane output_transform (STEERED = 1) gives this channel's Z = A^T M A and one channel_accumulate
//     row sums Z in 4 accumulators of WY bits (Y = sum_c A^T M_c A exactly), with its drain buffer; the
//     shared output stage is the lane multiplexer, T and 4 requantize.
//   Y_ACC = 0, Winograd-domain accumulation: per lane four channel_accumulate rows (16 accumulators
//     adding M as one addition with carry-in, and the drain buffer: the 16 finished sums); one output
//     stage shared by the lanes: output_transform + 4 requantize serve the finished accumulations lane
//     by lane, behind a register of the taken lane's sums (the lane multiplexer and the output
//     transform in separate cycles).
//
// Input: a transaction (in_tile, P weight tiles in_u, in_first, in_last) is accepted when
// in_valid & in_ready. Output: one beat per lane and finished accumulation, out_y = that lane's 2x2
// tile and out_lane = its lane; for each accumulation (in_last) lanes 0..P-1 in order, accumulations
// in order.
// Throughput: one transaction per cycle while every accumulation has at least P channels and
// out_ready stays high; a last transaction waits in stage 1 (in_ready = 0) until the drain buffer is
// free, i.e. until the previous accumulation's P beats have left the drain (docs/rtl.md).
// Flow control: every enable is a function of registers. in_ready = advance & ~rst, advance a register
// (next value from the next state of the control registers); the output stage has two entries (the
// output register and a skid register), so "the output stage can take a beat" (~skid_valid) is a
// register and the drain's release reads no out_ready: no combinational path from out_ready to
// in_ready, and no register-to-register path crosses two of the large-fanout enables.
// Pipeline (register stages):
//   1 M = neg_abs_diff(in_u, align(input_transform(in_tile)))   (per lane; last, valid)
//   2 acc = channel_accumulate(acc, M) (Y_ACC = 1: of output_transform(M)); the drain s <= the
//     finished sums on last   (per lane)
//   3 T = s of lane take_lane   (shared: the lane multiplexer; lane, valid)
//   4 Y = output_transform(T)   (Y_ACC = 0 only; shared; lane, valid)
//   5 out_y = requantize(Y)   (shared; out_lane, out_valid; the skid register behind it takes the
//     beat that arrives while out_valid & ~out_ready, and adds no latency)
// Latency: the beat of lane p of a last transaction accepted at edge t is presented after edge
// t + 4 + p (Y_ACC = 1: t + 3 + p) when nothing stalls.
/* verilator lint_off MULTITOP */  // a top-level design: linting rtl/*.v together sees two tops
module winoadder_core #(
    parameter P = 4,
    parameter WA = 8,
    parameter A_SIGNED = 1,
    parameter K = 2,
    parameter WU = 12,
    parameter WV = 10,
    parameter WVA = 12,
    parameter WD = 13,
    parameter WM = 13,
    parameter WS = 19,
    parameter ACC_SAT = 1,
    parameter WY = 22,
    parameter WO = 8,
    parameter O_SIGNED = 1,
    parameter SHIFT = 2,
    parameter ROUND = 4,
    parameter OVF = 1,
    parameter BT = 32'hC4341431,
    parameter AT = 16'hD435,
    parameter WL = 2,
    parameter Y_ACC = 0,
    parameter WZ = 16
) (
    input clk,
    input rst,
    input in_valid,
    output in_ready,
    input [16*WA-1:0] in_tile,
    input [P*16*WU-1:0] in_u,
    input in_first,
    input in_last,
    output out_valid,
    input out_ready,
    output [WL-1:0] out_lane,
    output [4*WO-1:0] out_y
);
    localparam [31:0] LAST_LANE_INT = P - 1;
    localparam [WL-1:0] LAST_LANE = LAST_LANE_INT[WL-1:0];
    localparam ONE_LANE = (P == 1) ? 1'b1 : 1'b0;

    // ---- input side: stage 1 (M registers) and stage 2 (accumulators) ----------------------------
    // Every enable is a function of registers only: `advance` is a register itself (its next value is
    // computed from the next state of the registers it reads, see the control block below), so no
    // register-to-register path crosses two of the large-fanout enables (load_s1, acc_en, finish) and
    // nothing reaches in_ready from out_ready.
    reg s1_valid, s1_last;  // in_first acts on entry (acc_clear)
    // The input side moves unless stage 1 holds a last transaction that the drain cannot take yet:
    // advance == ~(s1_valid & s1_last & ~drain_free) at every cycle, drain_free = ~drain_busy | take_last.
    reg advance;
    assign in_ready = advance & ~rst;
    wire load_s1 = in_valid & in_ready;
    wire acc_en = advance & s1_valid;
    // A first transaction entering stage 1 clears the accumulators (the stage-2 transaction of the
    // same edge is either a last one, whose sums go to the drain, or one a restart discards).
    wire acc_clear = load_s1 & in_first;
    wire finish = acc_en & s1_last;

    // Stage 0 (combinational, shared): V = input_transform(in_tile), Va = align(V); each row of Va is
    // one wire, shared by the lanes.
    wire [16*WV-1:0] v;
    wire [16*WVA-1:0] va;
    input_transform #(.WA(WA), .A_SIGNED(A_SIGNED), .WV(WV), .BT(BT)) u_input_transform (
        .d(in_tile),
        .v(v)
    );
    align #(.WV(WV), .K(K), .WVA(WVA)) u_align (
        .v(v),
        .va(va)
    );
    genvar r, p, e;
    generate
        for (r = 0; r < 4; r = r + 1) begin : g_va
            wire [4*WVA-1:0] row = va[4*WVA*r +: 4*WVA];
        end
    endgenerate

    // The finished sums of every lane (the drain buffer, read by lane), WDR bits a lane: Y_ACC = 0, the
    // 16 Winograd-domain sums S (row r at [4*WS*r +: 4*WS]); Y_ACC = 1, the lane's four output-domain
    // sums Y (Y[i][j] at [WY*(2i+j) +: WY]).
    localparam WDR = (Y_ACC != 0) ? 4*WY : 16*WS;
    wire [P*WDR-1:0] drain;
    generate
        for (p = 0; p < P; p = p + 1) begin : g_lane
            for (r = 0; r < 4; r = r + 1) begin : g_row
                wire [4*WD-1:0] s1_m;
                neg_abs_diff #(.WU(WU), .WVA(WVA), .WD(WD)) u_neg_abs_diff (
                    .clk(clk),
                    .en(load_s1),
                    .u(in_u[WU*(16*p+4*r) +: 4*WU]),
                    .va(g_va[r].row),
                    .m(s1_m)
                );
                if (Y_ACC == 0) begin : g_wino
                    wire [4*WS-1:0] s;
                    channel_accumulate #(
                        .WIN(WD), .WM(WM), .WS(WS), .ACC_SAT(ACC_SAT), .NEG_ABS(1)
                    ) u_channel_accumulate (
                        .clk(clk),
                        .rst(rst),
                        .en(acc_en),
                        .clear(acc_clear),
                        .last(s1_last),
                        .term(s1_m),
                        .s(s)
                    );
                end
            end
            if (Y_ACC == 0) begin : g_wino_drain
                assign drain[WDR*p +: WDR] = {g_row[3].g_wino.s, g_row[2].g_wino.s, g_row[1].g_wino.s,
                                              g_row[0].g_wino.s};
            end else begin : g_out_domain
                // Z = A^T M A of this channel (combinational, two {Z', c} words an entry: Z = Za + Zb),
                // accumulated exactly in WY bits.
                wire [8*(WZ+1)-1:0] z;
                wire [4*WY-1:0] s;
                output_transform #(.WS(WD), .WY(WZ + 1), .AT(AT), .STEERED(1)) u_output_transform (
                    .clk(clk),
                    .en(1'b0),
                    .s0(g_row[0].s1_m),
                    .s1(g_row[1].s1_m),
                    .s2(g_row[2].s1_m),
                    .s3(g_row[3].s1_m),
                    .y(z)
                );
                channel_accumulate #(
                    .WIN(WZ + 1), .WM(WZ), .WS(WY), .ACC_SAT(0), .NEG_ABS(2)
                ) u_channel_accumulate (
                    .clk(clk),
                    .rst(rst),
                    .en(acc_en),
                    .clear(acc_clear),
                    .last(s1_last),
                    .term(z),
                    .s(s)
                );
                assign drain[WDR*p +: WDR] = s;
            end
        end
    endgenerate

    // ---- control: stage 1's flags, the drain's release and the output stage's occupancy -------------
    // drain_busy: the drain holds finished sums of which lanes take_lane..P-1 have not been taken.
    // take_end: take_lane is the last lane (P - 1), a register of its own (no comparator in the release).
    // The output stage has two entries, the output register and a skid register: skid_valid (a beat
    // waits in the skid register) is all that stops the stages between the drain and the output
    // (advance_out), so the drain's release (take, take_last, drain_free) reads registers only.
    reg drain_busy, take_end, skid_valid;
    reg [WL-1:0] take_lane;
    reg t_valid, out_valid_r;
    reg [WL-1:0] t_lane, out_lane_r;
    wire advance_out = ~skid_valid;
    wire take = drain_busy & advance_out;
    wire take_last = take & take_end;
    wire [WL-1:0] next_lane = take_lane + 1'b1;
    wire y_ready;  // a beat waits in front of the output stage
    wire out_hold = out_valid_r & ~out_ready;  // the output register keeps its beat
    // The next state (out of reset) of the registers `advance` reads.
    wire s1_valid_nx = advance ? in_valid : s1_valid;
    wire s1_last_nx = load_s1 ? in_last : s1_last;
    wire drain_busy_nx = finish | (drain_busy & ~take_last);
    wire take_end_nx = take ? (take_end ? ONE_LANE : (next_lane == LAST_LANE)) : take_end;
    wire skid_valid_nx = out_hold & (skid_valid | y_ready);
    // drain_free of the next cycle (the drain is empty, or its last lane leaves at that edge).
    wire drain_free_nx = ~drain_busy_nx | (~skid_valid_nx & take_end_nx);

    always @(posedge clk) begin
        if (rst) begin
            s1_valid <= 1'b0;
            drain_busy <= 1'b0;
            take_lane <= {WL{1'b0}};
            take_end <= ONE_LANE;
            skid_valid <= 1'b0;
            advance <= 1'b1;
        end else begin
            s1_valid <= s1_valid_nx;
            if (finish) drain_busy <= 1'b1;  // drain_busy_nx
            else if (take_last) drain_busy <= 1'b0;
            if (take) take_lane <= take_end ? {WL{1'b0}} : next_lane;
            take_end <= take_end_nx;
            skid_valid <= skid_valid_nx;
            advance <= ~(s1_valid_nx & s1_last_nx & ~drain_free_nx);
        end
    end
    always @(posedge clk) begin
        if (load_s1) s1_last <= in_last;
    end

    // Stage 3: the sums of the lane being taken, registered (T, loaded on take). The lane multiplexer
    // is a loop of comparisons with constants (a P-input multiplexer per bit, not a shifter).
    reg [WDR-1:0] taken, t_sums;
    integer lane;
    always @(*) begin
        taken = drain[0 +: WDR];
        for (lane = 1; lane < P; lane = lane + 1) begin
            if (take_lane == lane[WL-1:0]) taken = drain[WDR*lane +: WDR];
        end
    end
    always @(posedge clk) begin
        if (take) begin
            t_sums <= taken;
            t_lane <= take_lane;
        end
    end

    // The beat in front of the output register: Y (4*WY bits), its lane and valid.
    wire [4*WY-1:0] y;
    wire [WL-1:0] y_ready_lane;
    generate
        if (Y_ACC == 0) begin : g_wino_out
            // Stage 4: Y = output_transform(T) (output_transform holds the Y register, loaded with a beat).
            reg y_valid;
            reg [WL-1:0] y_lane;
            wire load_y = advance_out & t_valid;
            output_transform #(.WS(WS), .WY(WY), .AT(AT)) u_output_transform (
                .clk(clk),
                .en(load_y),
                .s0(t_sums[0 +: 4*WS]),
                .s1(t_sums[4*WS +: 4*WS]),
                .s2(t_sums[8*WS +: 4*WS]),
                .s3(t_sums[12*WS +: 4*WS]),
                .y(y)
            );
            always @(posedge clk) begin
                if (rst) y_valid <= 1'b0;
                else if (advance_out) y_valid <= t_valid;
            end
            always @(posedge clk) begin
                if (load_y) y_lane <= t_lane;
            end
            assign y_ready = y_valid;
            assign y_ready_lane = y_lane;
        end else begin : g_out_domain_out
            // T holds Y itself.
            assign y = t_sums;
            assign y_ready = t_valid;
            assign y_ready_lane = t_lane;
        end
    endgenerate

    // The output stage, two entries: the output register (out_y = requantize(Y), out_lane, out_valid)
    // and the skid register behind it. While the skid register is empty (advance_out) the beat in front
    // of the stage enters it: into the output register when that is free (~out_hold), else into the
    // skid register. The skid register's beat moves to the output register when out_ready takes the
    // output's beat. Each register loads only with a beat.
    wire [4*WO-1:0] q;
    reg [4*WO-1:0] out_q;
    reg [4*WO-1:0] skid_q;
    reg [WL-1:0] skid_lane;
    generate
        for (e = 0; e < 4; e = e + 1) begin : g_out
            requantize #(
                .WY(WY), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND), .OVF(OVF)
            ) u_requantize (
                .y(y[WY*e +: WY]),
                .q(q[WO*e +: WO])
            );
        end
    endgenerate
    wire load_out = ~out_hold & (skid_valid | y_ready);
    wire load_skid = advance_out & out_hold & y_ready;

    always @(posedge clk) begin
        if (rst) t_valid <= 1'b0;
        else if (advance_out) t_valid <= take;
    end
    always @(posedge clk) begin
        if (rst) out_valid_r <= 1'b0;
        else out_valid_r <= out_hold | skid_valid | y_ready;
    end
    always @(posedge clk) begin
        if (load_out) begin
            out_q <= skid_valid ? skid_q : q;
            out_lane_r <= skid_valid ? skid_lane : y_ready_lane;
        end
        if (load_skid) begin
            skid_q <= q;
            skid_lane <= y_ready_lane;
        end
    end

    assign out_valid = out_valid_r;
    assign out_lane = out_lane_r;
    assign out_y = out_q;
endmodule
