// Smoke testbench: input_transform (combinational) on tiles read with $readmemh
// (plusargs +input_transform_in, _out, _n);
// writes one line of hex V per tile for the Python side to compare with the simulator.
module tb_smoke_input_transform;
    parameter WA = 8;
    parameter A_SIGNED = 1;
    parameter WV = 10;
    parameter BT = 32'hC4341431;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;

    reg [16*WA-1:0] stim [0:NMAX-1];
    reg [16*WA-1:0] d;
    wire [16*WV-1:0] v;
    reg [8*512-1:0] in_path, out_path;
    integer n, i, fd;
    reg done;

    input_transform #(.WA(WA), .A_SIGNED(A_SIGNED), .WV(WV), .BT(BT)) dut (
        .d(d),
        .v(v)
    );

    initial begin
        done = 1'b0;
        n = 0;
        if ($value$plusargs("input_transform_n=%d", n)
            && !($value$plusargs("input_transform_in=%s", in_path)
                 && $value$plusargs("input_transform_out=%s", out_path))) begin
            $display("ERROR: +input_transform_n needs +input_transform_in and +input_transform_out");
            n = 0;
        end
        if (n > 0) begin
            $readmemh(in_path, stim);
            fd = $fopen(out_path, "w");
            for (i = 0; i < n; i = i + 1) begin
                d = stim[i];
                #1;
                $fwrite(fd, "%h\n", v);
            end
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
