// adder_pe_direct: a direct AdderNet PE, the baseline for the area comparison (docs/rtl.md), built
// with the same techniques as winoadder_core.
// Per lane and channel step it forms the 2x2 outputs of a 3x3 adder filter on a 4x4 input tile:
// Y[i][j] = sum_ab -|d[i+a][j+b] - g[a][b]|. Stage 1: 36 units -|w - x| per lane in neg_abs_diff's
// steered form (nine rows, the lane's only pipeline register). Stage 2: the four window sums with the
// magnitudes folded in (each -|D| = N + k: a window adds its nine negative N and the count of its
// k once), accumulated over input channels by channel_accumulate (one row: the lane's 4 outputs;
// NEG_ABS = 0) with the drain buffer of finished sums. One shared output stage: the taken lane's sums
// are registered (T, as in winoadder_core) and 4 requantize serve the lanes in turn, into a two-entry
// output stage (output and skid register, as winoadder_core).
// Weights g share the activation grid (signed, WG bits). Same handshake, output port, throughput rule
// and flow control as winoadder_core (registered advance, every enable a function of registers, no
// combinational path from out_ready to in_ready). Latency: the beat of lane p of a last transaction
// accepted at edge t is presented after edge t + 3 + p when nothing stalls.
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
    parameter OVF = 1,
    parameter WL = 2
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
    output [WL-1:0] out_lane,
    output [4*WO-1:0] out_y
);
    localparam WX = WA + 1;  // activations as signed values
    localparam [31:0] LAST_LANE_INT = P - 1;
    localparam [WL-1:0] LAST_LANE = LAST_LANE_INT[WL-1:0];
    localparam ONE_LANE = (P == 1) ? 1'b1 : 1'b0;

    // ---- input side (as winoadder_core) -----------------------------------------------------------
    // Every enable is a function of registers only; `advance` is a register itself (as winoadder_core).
    reg s1_valid, s1_last;  // in_first acts on entry (acc_clear)
    reg advance;  // == ~(s1_valid & s1_last & ~drain_free) at every cycle
    assign in_ready = advance & ~rst;
    wire load_s1 = in_valid & in_ready;
    wire acc_en = advance & s1_valid;
    wire acc_clear = load_s1 & in_first;
    wire finish = acc_en & s1_last;

    // The 36 (x, w) pairs of a lane: unit 9*(2i+j) + 3a + b pairs d[i+a][j+b] with g[a][b]. Each
    // combinational group below is one always block that assigns its result once (one simulator event
    // per input change); its sensitivity list names its input only, since the temporaries are written
    // before they are read.
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

    // The finished sums of every lane (the drain buffer, read by lane).
    wire [P*4*WS-1:0] drain;
    genvar p, k, e;
    generate
        for (p = 0; p < P; p = p + 1) begin : g_lane
            wire [36*WDIF-1:0] s1_m;  // stage 1: the lane's 36 units, steered form
            for (k = 0; k < 9; k = k + 1) begin : g_units  // units 4k..4k+3 of the lane's 36
                neg_abs_diff #(.WU(WG), .WVA(WX), .WD(WDIF)) u_neg_abs_diff (
                    .clk(clk),
                    .en(load_s1),
                    .u(w_pairs[WG*(36*p+4*k) +: 4*WG]),
                    .va(x_pairs[WX*4*k +: 4*WX]),
                    .m(s1_m[WDIF*4*k +: 4*WDIF])
                );
            end
            // The four window sums M = sum of nine -|D| (<= 0), computed modulo 2^WP (the exact sum
            // fits WP bits): the nine negative N = {1, N[WDIF-2:0]} sign-extended, plus the count of
            // the nine k (unit word {k, N[WDIF-2:0]}, see neg_abs_diff).
            reg [4*WP-1:0] m;
            reg [WP-1:0] m_k;
            reg [3:0] k_count;
            reg [WDIF-1:0] unit;
            integer o, t;
            always @(s1_m) begin
                for (o = 0; o < 4; o = o + 1) begin
                    m_k = {WP{1'b0}};
                    k_count = 4'd0;
                    for (t = 0; t < 9; t = t + 1) begin
                        unit = s1_m[WDIF*(9*o+t) +: WDIF];
                        m_k = m_k + {{(WP-WDIF+1){1'b1}}, unit[WDIF-2:0]};
                        k_count = k_count + {3'd0, unit[WDIF-1]};
                    end
                    m[WP*o +: WP] = m_k + {{(WP-4){1'b0}}, k_count};
                end
            end
            wire [4*WS-1:0] s;
            channel_accumulate #(
                .WIN(WP), .WM(WP), .WS(WS), .ACC_SAT(ACC_SAT), .NEG_ABS(0)
            ) u_channel_accumulate (
                .clk(clk),
                .rst(rst),
                .en(acc_en),
                .clear(acc_clear),
                .last(s1_last),
                .term(m),
                .s(s)
            );
            assign drain[4*WS*p +: 4*WS] = s;
        end
    endgenerate

    // ---- control (as winoadder_core): stage 1's flags, the drain's release, the output stage --------
    // take_end: take_lane is the last lane (P - 1), a register of its own. The output stage has two
    // entries (output and skid register); only skid_valid stops the T register (advance_out).
    reg drain_busy, take_end, skid_valid;
    reg [WL-1:0] take_lane;
    reg t_valid, out_valid_r;
    reg [WL-1:0] t_lane, out_lane_r;
    wire advance_out = ~skid_valid;
    wire take = drain_busy & advance_out;
    wire take_last = take & take_end;
    wire [WL-1:0] next_lane = take_lane + 1'b1;
    wire out_hold = out_valid_r & ~out_ready;  // the output register keeps its beat
    // The next state (out of reset) of the registers `advance` reads.
    wire s1_valid_nx = advance ? in_valid : s1_valid;
    wire s1_last_nx = load_s1 ? in_last : s1_last;
    wire drain_busy_nx = finish | (drain_busy & ~take_last);
    wire take_end_nx = take ? (take_end ? ONE_LANE : (next_lane == LAST_LANE)) : take_end;
    wire skid_valid_nx = out_hold & (skid_valid | t_valid);
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

    // Stage 3: the sums of the lane being taken, registered (T, loaded on take; as winoadder_core).
    // The lane multiplexer is a loop of comparisons with constants (not a shifter).
    reg [4*WS-1:0] taken, t_sums;
    integer lane;
    always @(*) begin
        taken = drain[0 +: 4*WS];
        for (lane = 1; lane < P; lane = lane + 1) begin
            if (take_lane == lane[WL-1:0]) taken = drain[4*WS*lane +: 4*WS];
        end
    end
    always @(posedge clk) begin
        if (take) begin
            t_sums <= taken;
            t_lane <= take_lane;
        end
    end

    // The output stage, two entries (as winoadder_core): the output register, requantize(T), and the
    // skid register behind it; each loads only with a beat.
    wire [4*WO-1:0] q;
    reg [4*WO-1:0] out_q;
    reg [4*WO-1:0] skid_q;
    reg [WL-1:0] skid_lane;
    generate
        for (e = 0; e < 4; e = e + 1) begin : g_out
            requantize #(
                .WY(WS), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND), .OVF(OVF)
            ) u_requantize (
                .y(t_sums[WS*e +: WS]),
                .q(q[WO*e +: WO])
            );
        end
    endgenerate
    wire load_out = ~out_hold & (skid_valid | t_valid);
    wire load_skid = advance_out & out_hold & t_valid;

    always @(posedge clk) begin
        if (rst) t_valid <= 1'b0;
        else if (advance_out) t_valid <= take;
    end
    always @(posedge clk) begin
        if (rst) out_valid_r <= 1'b0;
        else out_valid_r <= out_hold | skid_valid | t_valid;
    end
    always @(posedge clk) begin
        if (load_out) begin
            out_q <= skid_valid ? skid_q : q;
            out_lane_r <= skid_valid ? skid_lane : t_lane;
        end
        if (load_skid) begin
            skid_q <= q;
            skid_lane <= t_lane;
        end
    end

    assign out_valid = out_valid_r;
    assign out_lane = out_lane_r;
    assign out_y = out_q;
endmodule
