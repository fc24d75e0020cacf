// Smoke testbench: neg_abs_diff (16 units, registered: load with en, hold without) on {Va, U} words
// read with $readmemh (plusargs +neg_abs_diff_in, _out, _n); writes one line of hex m (the steered
// words {k, N[WD-2:0]} of the 16 units) per word.
module tb_smoke_neg_abs_diff;
    parameter WU = 12;
    parameter WVA = 12;
    parameter WD = 13;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;

    reg [16*(WU+WVA)-1:0] stim [0:NMAX-1];
    reg [16*WU-1:0] u;
    reg [16*WVA-1:0] va;
    reg clk, en;
    wire [16*WD-1:0] m;
    reg [8*512-1:0] in_path, out_path;
    integer n, i, fd;
    reg done;

    genvar r;
    generate
        for (r = 0; r < 4; r = r + 1) begin : g_row  // the 16 units as four rows
            neg_abs_diff #(.WU(WU), .WVA(WVA), .WD(WD)) dut (
                .clk(clk),
                .en(en),
                .u(u[4*WU*r +: 4*WU]),
                .va(va[4*WVA*r +: 4*WVA]),
                .m(m[4*WD*r +: 4*WD])
            );
        end
    endgenerate

    initial begin
        done = 1'b0;
        clk = 1'b0;
        en = 1'b0;
        n = 0;
        if ($value$plusargs("neg_abs_diff_n=%d", n)
            && !($value$plusargs("neg_abs_diff_in=%s", in_path)
                 && $value$plusargs("neg_abs_diff_out=%s", out_path))) begin
            $display("ERROR: +neg_abs_diff_n needs +neg_abs_diff_in and +neg_abs_diff_out");
            n = 0;
        end
        if (n > 0) begin
            $readmemh(in_path, stim);
            fd = $fopen(out_path, "w");
            for (i = 0; i < n; i = i + 1) begin
                // Load the pair (en = 1), then clock a different input with en = 0: the register
                // must hold, so the line written is -|U - Va| of stim[i] (steered form).
                {va, u} = stim[i];
                en = 1'b1;
                #1 clk = 1'b1;
                #1 clk = 1'b0;
                {va, u} = ~stim[i];
                en = 1'b0;
                #1 clk = 1'b1;
                #1 clk = 1'b0;
                $fwrite(fd, "%h\n", m);
            end
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
