// Smoke testbench: adder_pe_direct streaming with input gaps and output backpressure.
// Plusargs (prefix adder_pe_direct_): in=<file>: one $readmemh word per transaction,
// {in_last, in_first, in_w, in_tile}.
// pattern=<file>: one word per cycle (cycled), bit 0 = offer the next transaction, bit 1 = out_ready.
// out=<file>, n=<transactions>, npat=<pattern length>. Output as tb_smoke_winoadder_core.
module tb_smoke_adder_pe_direct;
    parameter P = 4;
    parameter WA = 8;
    parameter A_SIGNED = 1;
    parameter WG = 8;
    parameter WDIF = 9;
    parameter WP = 13;
    parameter WS = 19;
    parameter ACC_SAT = 1;
    parameter WO = 8;
    parameter O_SIGNED = 1;
    parameter SHIFT = 0;
    parameter ROUND = 4;
    parameter OVF = 1;
    parameter WL = 2;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;
    localparam TXW = 2 + P*9*WG + 16*WA;

    reg [TXW-1:0] stim [0:NMAX-1];
    reg [1:0] pattern [0:NMAX-1];
    reg clk, rst, in_valid, in_first, in_last, out_ready;
    reg [16*WA-1:0] in_tile;
    reg [P*9*WG-1:0] in_w;
    wire in_ready, out_valid;
    wire [4*WO-1:0] out_y;
    wire [WL-1:0] out_lane;
    reg [8*512-1:0] in_path, pattern_path, out_path;
    integer n, npat, fd, cycle, idx, nout, nlast, i;
    reg accept, stalled, done;
    reg [1:0] pat;
    reg [WL+4*WO-1:0] held_y;

    adder_pe_direct #(
        .P(P), .WA(WA), .A_SIGNED(A_SIGNED), .WG(WG), .WDIF(WDIF), .WP(WP), .WS(WS), .ACC_SAT(ACC_SAT),
        .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND), .OVF(OVF), .WL(WL)
    ) dut (
        .clk(clk),
        .rst(rst),
        .in_valid(in_valid),
        .in_ready(in_ready),
        .in_tile(in_tile),
        .in_w(in_w),
        .in_first(in_first),
        .in_last(in_last),
        .out_valid(out_valid),
        .out_ready(out_ready),
        .out_lane(out_lane),
        .out_y(out_y)
    );

    initial begin
        done = 1'b0;
        n = 0;
        if ($value$plusargs("adder_pe_direct_n=%d", n)
            && !($value$plusargs("adder_pe_direct_in=%s", in_path)
                 && $value$plusargs("adder_pe_direct_pattern=%s", pattern_path)
                 && $value$plusargs("adder_pe_direct_out=%s", out_path)
                 && $value$plusargs("adder_pe_direct_npat=%d", npat))) begin
            $display("ERROR: +adder_pe_direct_n needs +adder_pe_direct_in, _pattern, _out and _npat");
            n = 0;
        end
        if (n > 0) begin
            $readmemh(in_path, stim);
            $readmemh(pattern_path, pattern);
            fd = $fopen(out_path, "w");
            nlast = 0;  // output beats: P per last transaction
            for (i = 0; i < n; i = i + 1) nlast = nlast + P * stim[i][TXW-1];
            clk = 1'b0;
            rst = 1'b1;
            {in_valid, in_first, in_last, out_ready, in_tile, in_w} = {(4+16*WA+P*9*WG){1'b0}};
            #5 clk = 1'b1;
            #5 clk = 1'b0;
            #5 clk = 1'b1;
            #5 clk = 1'b0;
            rst = 1'b0;
            cycle = 0;
            idx = 0;
            nout = 0;
            stalled = 1'b0;
            held_y = {(WL+4*WO){1'b0}};
            while ((idx < n || nout < nlast) && cycle < 20 * n + 100) begin
                pat = pattern[cycle % npat];
                in_valid = pat[0] && (idx < n);
                {in_last, in_first, in_w, in_tile} = stim[idx < n ? idx : 0];
                out_ready = pat[1];
                #1;
                if (stalled && (!out_valid || {out_lane, out_y} !== held_y))
                    $display("ERROR: cycle %0d: output beat changed while stalled", cycle);
                accept = in_valid && in_ready;
                if (accept) $fwrite(fd, "A %0d\n", cycle);
                if (out_valid && out_ready) begin
                    $fwrite(fd, "O %0d %0d %h\n", cycle, out_lane, out_y);
                    nout = nout + 1;
                end
                stalled = out_valid && !out_ready;
                held_y = {out_lane, out_y};
                #4 clk = 1'b1;
                #5 clk = 1'b0;
                if (accept) idx = idx + 1;
                cycle = cycle + 1;
            end
            if (idx < n || nout < nlast)
                $display("ERROR: timeout after %0d cycles: %0d of %0d accepted, %0d of %0d outputs",
                         cycle, idx, n, nout, nlast);
            $fclose(fd);
        end
        done = 1'b1;
        if (STANDALONE != 0) $finish;
    end
endmodule
