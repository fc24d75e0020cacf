// Smoke testbench: align on V tiles read with $readmemh (plusargs +align_in, _out, _n).
module tb_smoke_align;
    parameter WV = 10;
    parameter K = 2;
    parameter WVA = 12;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;

    reg [16*WV-1:0] stim [0:NMAX-1];
    reg [16*WV-1:0] v;
    wire [16*WVA-1:0] va;
    reg [8*512-1:0] in_path, out_path;
    integer n, i, fd;
    reg done;

    align #(.WV(WV), .K(K), .WVA(WVA)) dut (
        .v(v),
        .va(va)
    );

    initial begin
        done = 1'b0;
        n = 0;
        if ($value$plusargs("align_n=%d", n)
            && !($value$plusargs("align_in=%s", in_path)
                 && $value$plusargs("align_out=%s", out_path))) begin
            $display("ERROR: +align_n needs +align_in and +align_out");
            n = 0;
        end
        if (n > 0) begin
            $readmemh(in_path, stim);
            fd = $fopen(out_path, "w");
            for (i = 0; i < n; i = i + 1) begin
                v = stim[i];
                #1;
                $fwrite(fd, "%h\n", va);
            end
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
