// Smoke testbench: channel_accumulate, 16 entries (four rows) in WRAP and in SAT, each with the steered
// input (NEG_ABS = 1, the core's) and with M itself (NEG_ABS = 0, the direct PE's), fed the same stream.
// Each stimulus word is {en, clear, last, steered words (16 x WIN), M (16 x WIN)}; after every clock
// edge the line "<s wrap steered> <s sat steered> <s wrap M> <s sat M>" (the drain buffers) is written
// (plusargs +channel_accumulate_in, _out, _n). Reset is applied for the first edge.
module tb_smoke_channel_accumulate;
    parameter WIN = 13;
    parameter WS = 15;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;

    reg [32*WIN+2:0] stim [0:NMAX-1];
    reg clk, rst, en, clear, last;
    reg [16*WIN-1:0] steered, m;
    wire [16*WS-1:0] s_wrap, s_sat, s_wrap_m, s_sat_m;
    reg [8*512-1:0] in_path, out_path;
    integer n, i, fd;
    reg done;

    genvar r;
    generate
        for (r = 0; r < 4; r = r + 1) begin : g_row  // the 16 entries as four rows
            channel_accumulate #(.WIN(WIN), .WM(WIN), .WS(WS), .ACC_SAT(0), .NEG_ABS(1)) dut_wrap (
                .clk(clk), .rst(rst), .en(en), .clear(clear), .last(last),
                .term(steered[4*WIN*r +: 4*WIN]), .s(s_wrap[4*WS*r +: 4*WS])
            );
            channel_accumulate #(.WIN(WIN), .WM(WIN), .WS(WS), .ACC_SAT(1), .NEG_ABS(1)) dut_sat (
                .clk(clk), .rst(rst), .en(en), .clear(clear), .last(last),
                .term(steered[4*WIN*r +: 4*WIN]), .s(s_sat[4*WS*r +: 4*WS])
            );
            channel_accumulate #(.WIN(WIN), .WM(WIN), .WS(WS), .ACC_SAT(0), .NEG_ABS(0)) dut_wrap_m (
                .clk(clk), .rst(rst), .en(en), .clear(clear), .last(last),
                .term(m[4*WIN*r +: 4*WIN]), .s(s_wrap_m[4*WS*r +: 4*WS])
            );
            channel_accumulate #(.WIN(WIN), .WM(WIN), .WS(WS), .ACC_SAT(1), .NEG_ABS(0)) dut_sat_m (
                .clk(clk), .rst(rst), .en(en), .clear(clear), .last(last),
                .term(m[4*WIN*r +: 4*WIN]), .s(s_sat_m[4*WS*r +: 4*WS])
            );
        end
    endgenerate

    initial begin
        done = 1'b0;
        n = 0;
        if ($value$plusargs("channel_accumulate_n=%d", n)
            && !($value$plusargs("channel_accumulate_in=%s", in_path)
                 && $value$plusargs("channel_accumulate_out=%s", out_path))) begin
            $display("ERROR: +channel_accumulate_n needs +channel_accumulate_in and +channel_accumulate_out");
            n = 0;
        end
        if (n > 0) begin
            $readmemh(in_path, stim);
            fd = $fopen(out_path, "w");
            clk = 1'b0;
            rst = 1'b1;
            {en, clear, last, steered, m} = {(32*WIN+3){1'b0}};
            #5 clk = 1'b1;
            #5 clk = 1'b0;
            rst = 1'b0;
            for (i = 0; i < n; i = i + 1) begin
                {en, clear, last, steered, m} = stim[i];
                #5 clk = 1'b1;
                #1;
                $fwrite(fd, "%h %h %h %h\n", s_wrap, s_sat, s_wrap_m, s_sat_m);
                #4 clk = 1'b0;
            end
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
