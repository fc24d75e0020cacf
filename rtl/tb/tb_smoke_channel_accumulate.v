// Smoke testbench: channel_accumulate, 16 entries (four rows) in WRAP and in SAT, fed the same stream.
// Each stimulus word is {en, first, M}; after every clock edge the line "<wrap acc> <sat acc>" is
// written (plusargs +channel_accumulate_in, _out, _n). Reset is applied for the first edge.
module tb_smoke_channel_accumulate;
    parameter WM = 13;
    parameter WS = 19;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;

    reg [16*WM+1:0] stim [0:NMAX-1];
    reg clk, rst, en, first;
    reg [16*WM-1:0] m;
    wire [16*WS-1:0] acc_wrap, acc_sat;
    reg [8*512-1:0] in_path, out_path;
    integer n, i, fd;
    reg done;

    genvar r;
    generate
        for (r = 0; r < 4; r = r + 1) begin : g_row  // the 16 entries as four rows
            channel_accumulate #(.WM(WM), .WS(WS), .ACC_SAT(0)) dut_wrap (
                .clk(clk),
                .rst(rst),
                .en(en),
                .first(first),
                .m(m[4*WM*r +: 4*WM]),
                .acc(acc_wrap[4*WS*r +: 4*WS])
            );
            channel_accumulate #(.WM(WM), .WS(WS), .ACC_SAT(1)) dut_sat (
                .clk(clk),
                .rst(rst),
                .en(en),
                .first(first),
                .m(m[4*WM*r +: 4*WM]),
                .acc(acc_sat[4*WS*r +: 4*WS])
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
            {en, first, m} = {(16*WM+2){1'b0}};
            #5 clk = 1'b1;
            #5 clk = 1'b0;
            rst = 1'b0;
            for (i = 0; i < n; i = i + 1) begin
                {en, first, m} = stim[i];
                #5 clk = 1'b1;
                #1;
                $fwrite(fd, "%h %h\n", acc_wrap, acc_sat);
                #4 clk = 1'b0;
            end
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
