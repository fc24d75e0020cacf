// Smoke testbench: winoadder_core streaming with input gaps and output backpressure.
// Plusargs (prefix winoadder_core_): in=<file>: one $readmemh word per transaction,
// {in_last, in_first, in_u, in_tile}.
// pattern=<file>: one word per cycle (cycled), bit 0 = offer the next transaction (in_valid),
//                  bit 1 = out_ready.
// out=<file>, n=<transactions>, npat=<pattern length>. Writes "A <cycle>" for every accepted
// transaction and "O <cycle> <out_lane> <out_y hex>" for every delivered output beat; prints ERROR lines
// if an output beat changes or disappears while stalled, or on a timeout.
module tb_smoke_winoadder_core;
    parameter P = 4;
    parameter WA = 8;
    parameter A_SIGNED = 1;
    parameter K = 2;
    parameter WU = 12;
    parameter WV = 10;
    parameter WVA = 12;
    parameter WD = 13;
    parameter WM = 13;
    parameter WS = 19;
    parameter ACC_SAT = 1;
    parameter WY = 22;
    parameter WO = 8;
    parameter O_SIGNED = 1;
    parameter SHIFT = 2;
    parameter ROUND = 4;
    parameter OVF = 1;
    parameter WL = 2;
    parameter Y_ACC = 0;
    parameter WZ = 16;
    parameter BT = 32'hC4341431;
    parameter AT = 16'hD435;
    parameter STANDALONE = 1;  // 0 inside tb_smoke_all: set done instead of $finish
    localparam NMAX = 4096;
    localparam TXW = 2 + P*16*WU + 16*WA;

    reg [TXW-1:0] stim [0:NMAX-1];
    reg [1:0] pattern [0:NMAX-1];
    reg clk, rst, in_valid, in_first, in_last, out_ready;
    reg [16*WA-1:0] in_tile;
    reg [P*16*WU-1:0] in_u;
    wire in_ready, out_valid;
    wire [4*WO-1:0] out_y;
    wire [WL-1:0] out_lane;
    reg [8*512-1:0] in_path, pattern_path, out_path;
    integer n, npat, fd, cycle, idx, nout, nlast, i;
    reg accept, stalled, done;
    reg [1:0] pat;
    reg [WL+4*WO-1:0] held_y;

    winoadder_core #(
        .P(P), .WA(WA), .A_SIGNED(A_SIGNED), .K(K), .WU(WU), .WV(WV), .WVA(WVA), .WD(WD), .WM(WM),
        .WS(WS), .ACC_SAT(ACC_SAT), .WY(WY), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT),
        .ROUND(ROUND), .OVF(OVF), .BT(BT), .AT(AT), .WL(WL), .Y_ACC(Y_ACC), .WZ(WZ)
    ) dut (
        .clk(clk),
        .rst(rst),
        .in_valid(in_valid),
        .in_ready(in_ready),
        .in_tile(in_tile),
        .in_u(in_u),
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
        if ($value$plusargs("winoadder_core_n=%d", n)
            && !($value$plusargs("winoadder_core_in=%s", in_path)
                 && $value$plusargs("winoadder_core_pattern=%s", pattern_path)
                 && $value$plusargs("winoadder_core_out=%s", out_path)
                 && $value$plusargs("winoadder_core_npat=%d", npat))) begin
            $display("ERROR: +winoadder_core_n needs +winoadder_core_in, _pattern, _out and _npat");
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
            {in_valid, in_first, in_last, out_ready, in_tile, in_u} = {(4+16*WA+P*16*WU){1'b0}};
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
                {in_last, in_first, in_u, in_tile} = stim[idx < n ? idx : 0];
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
