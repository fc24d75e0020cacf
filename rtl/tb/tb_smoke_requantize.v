// Smoke testbench: requantize in every mode at once. One instance per (overflow code o,
// rounding code r); instance 10*o + r writes bits [WO*(10*o+r) +: WO] of each output line.
// Y values are read with $readmemh (plusargs +requantize_in, _out, _n).
module tb_smoke_requantize;
    parameter WY = 22;
    parameter WO = 8;
    parameter O_SIGNED = 1;
    parameter SHIFT = 2;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;
    localparam NMODES = 40;

    reg [WY-1:0] stim [0:NMAX-1];
    reg [WY-1:0] y;
    wire [NMODES*WO-1:0] q;
    reg [8*512-1:0] in_path, out_path;
    integer n, i, fd;
    reg done;

    genvar o, r;
    generate
        for (o = 0; o < 4; o = o + 1) begin : g_ovf
            for (r = 0; r < 10; r = r + 1) begin : g_round
                requantize #(
                    .WY(WY), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(r), .OVF(o)
                ) dut (
                    .y(y),
                    .q(q[WO*(10*o+r) +: WO])
                );
            end
        end
    endgenerate

    initial begin
        done = 1'b0;
        n = 0;
        if ($value$plusargs("requantize_n=%d", n)
            && !($value$plusargs("requantize_in=%s", in_path)
                 && $value$plusargs("requantize_out=%s", out_path))) begin
            $display("ERROR: +requantize_n needs +requantize_in and +requantize_out");
            n = 0;
        end
        if (n > 0) begin
            $readmemh(in_path, stim);
            fd = $fopen(out_path, "w");
            for (i = 0; i < n; i = i + 1) begin
                y = stim[i];
                #1;
                $fwrite(fd, "%h\n", q);
            end
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
