// winoadder_core: the Winograd-adder accelerator (docs/datapath.md, docs/rtl.md).
// One input transform and align shared by P output-channel lanes; per lane four neg_abs_diff rows (16
// units), four channel_accumulate rows (the 16 Winograd-domain entries), an output transform and 4
// requantizers.
//
// A transaction (in_tile, P weight tiles in_u, in_first, in_last) is accepted when in_valid & in_ready.
// Only transactions with in_last produce an output beat (out_y, P x 2x2 results). Flow control is a
// global stall: every pipeline register advances when the output register is empty or being read
// (advance = ~out_valid | out_ready), so in_ready depends combinationally on out_ready. Fully
// pipelined: one transaction per cycle while not stalled. Latency: the output of a last transaction
// accepted at clock edge t is presented (out_valid = 1) after edge t + 4, i.e. 5 register stages:
//   1 V = input_transform(in_tile), U delayed     2 M = neg_abs_diff(U, align(V))
//   3 acc = channel_accumulate(M)                 4 Y = output_transform(acc)
//   5 out_y = requantize(Y)
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
    parameter AT = 16'hD435
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
    output [P*4*WO-1:0] out_y
);
    wire advance = ~out_valid | out_ready;
    assign in_ready = advance & ~rst;
    // A data register loads only when the pipeline advances and its input holds a transaction (so
    // idle cycles leave the datapath quiet); the valid flags say which registers hold one.
    reg s1_valid, s1_first, s1_last;
    reg s2_valid, s2_first, s2_last;
    reg s3_valid, s4_valid, s5_valid;
    wire load_s1 = advance & in_valid;
    wire load_s2 = advance & s1_valid;
    wire load_s3 = advance & s2_valid;
    wire load_s4 = advance & s3_valid;
    wire load_s5 = advance & s4_valid;

    // Stage 1: input transform (shared by all lanes); the weight tiles travel alongside (data register,
    // no reset, loaded whole).
    wire [16*WV-1:0] s1_v;
    reg [P*16*WU-1:0] s1_u;
    always @(posedge clk) begin
        if (load_s1) s1_u <= in_u;
    end
    input_transform #(.WA(WA), .A_SIGNED(A_SIGNED), .WV(WV), .BT(BT)) u_input_transform (
        .clk(clk),
        .en(load_s1),
        .d(in_tile),
        .v(s1_v)
    );

    // Stage 2: align (shared), then per lane neg_abs_diff (the stage-2 register, like input_transform),
    // one instance per row of the 4x4 tile. Each row of Va is one wire, shared by the lanes.
    wire [16*WVA-1:0] va;
    align #(.WV(WV), .K(K), .WVA(WVA)) u_align (
        .v(s1_v),
        .va(va)
    );
    genvar r;
    generate
        for (r = 0; r < 4; r = r + 1) begin : g_va
            wire [4*WVA-1:0] row = va[4*WVA*r +: 4*WVA];
        end
    endgenerate

    // Stage 3: channel accumulators (state); stage 4: output transform; stage 5: requantize (the output
    // register), all per lane.
    // Each lane has its own wires and registers (no lane writes a slice of a shared bus, so a lane's
    // update only wakes its own logic in an event-driven simulator). Per row of the tile, the units,
    // the accumulators and the output transform pass whole row words (4 elements).
    genvar p, e;
    generate
        for (p = 0; p < P; p = p + 1) begin : g_lane
            wire [4*WY-1:0] s4_y;
            wire [4*WO-1:0] q;
            reg [4*WO-1:0] s5_q;
            for (r = 0; r < 4; r = r + 1) begin : g_row
                wire [4*WM-1:0] s2_m;
                wire [4*WS-1:0] acc;
                neg_abs_diff #(.WU(WU), .WVA(WVA), .WD(WD), .WM(WM)) u_neg_abs_diff (
                    .clk(clk),
                    .en(load_s2),
                    .u(s1_u[WU*(16*p+4*r) +: 4*WU]),
                    .va(g_va[r].row),
                    .m(s2_m)
                );
                channel_accumulate #(.WM(WM), .WS(WS), .ACC_SAT(ACC_SAT)) u_channel_accumulate (
                    .clk(clk),
                    .rst(rst),
                    .en(load_s3),
                    .first(s2_first),
                    .m(s2_m),
                    .acc(acc)
                );
            end
            output_transform #(.WS(WS), .WY(WY), .AT(AT)) u_output_transform (
                .clk(clk),
                .en(load_s4),
                .s0(g_row[0].acc),
                .s1(g_row[1].acc),
                .s2(g_row[2].acc),
                .s3(g_row[3].acc),
                .y(s4_y)
            );
            for (e = 0; e < 4; e = e + 1) begin : g_out
                requantize #(
                    .WY(WY), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND), .OVF(OVF)
                ) u_requantize (
                    .y(s4_y[WY*e +: WY]),
                    .q(q[WO*e +: WO])
                );
            end
            // The output register: no reset. out_y is only observed when valid: loading it (like Y, in
            // output_transform) only for a finished accumulation keeps the requantizers quiet.
            always @(posedge clk) begin
                if (load_s5) s5_q <= q;
            end
            assign out_y[4*WO*p +: 4*WO] = s5_q;
        end
    endgenerate

    // Valid flags: reset, advance with the pipeline.
    always @(posedge clk) begin
        if (rst) begin
            s1_valid <= 1'b0;
            s2_valid <= 1'b0;
            s3_valid <= 1'b0;
            s4_valid <= 1'b0;
            s5_valid <= 1'b0;
        end else if (advance) begin
            s1_valid <= in_valid;
            s2_valid <= s1_valid;
            s3_valid <= s2_valid & s2_last;
            s4_valid <= s3_valid;
            s5_valid <= s4_valid;
        end
    end

    always @(posedge clk) begin
        if (advance) begin
            s1_first <= in_first;
            s1_last <= in_last;
            s2_first <= s1_first;
            s2_last <= s1_last;
        end
    end

    assign out_valid = s5_valid;
endmodule
