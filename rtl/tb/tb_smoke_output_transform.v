// Smoke testbench: output_transform (registered: load with en, hold without) on S tiles read with $readmemh
// (plusargs +output_transform_in, _out, _n).
module tb_smoke_output_transform;
    parameter WS = 19;
    parameter WY = 22;
    parameter AT = 16'hD435;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;

    reg [16*WS-1:0] stim [0:NMAX-1];
    reg [16*WS-1:0] s;
    reg clk, en;
    wire [4*WY-1:0] y;
    reg [8*512-1:0] in_path, out_path;
    integer n, i, fd;
    reg done;

    output_transform #(.WS(WS), .WY(WY), .AT(AT)) dut (
        .clk(clk),
        .en(en),
        .s0(s[0 +: 4*WS]),
        .s1(s[4*WS +: 4*WS]),
        .s2(s[8*WS +: 4*WS]),
        .s3(s[12*WS +: 4*WS]),
        .y(y)
    );

    initial begin
        done = 1'b0;
        clk = 1'b0;
        en = 1'b0;
        n = 0;
        if ($value$plusargs("output_transform_n=%d", n)
            && !($value$plusargs("output_transform_in=%s", in_path)
                 && $value$plusargs("output_transform_out=%s", out_path))) begin
            $display("ERROR: +output_transform_n needs +output_transform_in and +output_transform_out");
            n = 0;
        end
        if (n > 0) begin
            $readmemh(in_path, stim);
            fd = $fopen(out_path, "w");
            for (i = 0; i < n; i = i + 1) begin
                // Load the tile (en = 1), then clock a different input with en = 0: the register
                // must hold, so the line written is the transform of stim[i].
                s = stim[i];
                en = 1'b1;
                #1 clk = 1'b1;
                #1 clk = 1'b0;
                s = ~stim[i];
                en = 1'b0;
                #1 clk = 1'b1;
                #1 clk = 1'b0;
                $fwrite(fd, "%h\n", y);
            end
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
