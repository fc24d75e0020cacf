// tb_winoadder_core: self-checking testbench for winoadder_core (DIRECT = 0) or adder_pe_direct
// (DIRECT = 1), driven by a `winoadder vectors` set of that top.
//
// Plusargs:
//   +vectors=DIR   vector set directory (reads in_tile.hex, in_u.hex (core) or in_w.hex (direct),
//                  in_flags.hex, expected_out.hex, expected_lane.hex)
//   +n_in=N        transactions in the set          +n_out=N   output beats in the set (outputs * P)
//   +actual=PATH   where the actual {out_lane, out_y} words are written ($writememh, one beat a line)
//   +seed=S        seed of the input-gap / output-backpressure generator (default 1)
//   +gap=PCT       percent of cycles with in_valid held low (default 25)
//   +stall=PCT     percent of cycles with out_ready held low (default 25)
//   +show=N        mismatches printed in full (default 10)
//   +timeout=C     watchdog: cycles before a hung run fails (default 64 * (n_in + n_out) + 1000)
//   +bindir=DIR    optional fast path: load the same words from DIR/<name>.bin with $fread (raw bytes,
//                  ceil(width/8) per row, most significant first) instead of $readmemh on the hex files
//   +dumpfile=PATH optional waveform dump of the whole bench ($dumpfile/$dumpvars: VCD on Icarus, FST on
//                  a Verilator build made with --trace-fst)
// Every output beat's out_y and out_lane are compared with the next expected ones. The run ends with the line
// "<passed> passed, <failed> failed"; any mismatch, missing or extra output or watchdog expiry ends it
// with $fatal (non-zero exit status). DEPTH (a parameter) bounds the rows held in memory.
`timescale 1ns / 1ps
module tb_winoadder_core #(
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
    parameter [31:0] BT = 32'hC4341431,
    parameter [15:0] AT = 16'hD435,
    parameter WL = 2,
    parameter Y_ACC = 0,   // winoadder_core only
    parameter WZ = 16,     // winoadder_core only
    parameter WG = 8,      // adder_pe_direct only
    parameter WDIF = 9,    // adder_pe_direct only
    parameter WP = 13,     // adder_pe_direct only
    parameter DIRECT = 0,  // 0: winoadder_core, 1: adder_pe_direct
    parameter DEPTH = 1024
);
    localparam WT = 16 * WA;
    localparam WUP = (DIRECT != 0) ? P * 9 * WG : P * 16 * WU;
    localparam WOUT = 4 * WO;
    localparam WBEAT = WL + WOUT;  // {out_lane, out_y}
    localparam DRAIN = 32;  // idle cycles after the last expected output, to catch extra outputs

    reg [WT-1:0] tile_mem [0:DEPTH-1];
    reg [WUP-1:0] u_mem [0:DEPTH-1];
    reg [1:0] flag_mem [0:DEPTH-1];
    reg [WOUT-1:0] exp_mem [0:DEPTH-1];
    reg [WL-1:0] lane_mem [0:DEPTH-1];
    reg [WBEAT-1:0] act_mem [0:DEPTH-1];

    reg clk;
    reg rst;
    reg [8*1024-1:0] dir;
    reg [8*1024-1:0] path;
    reg [8*1024-1:0] actual_path;
    reg [8*1024-1:0] bindir;
    reg [8*1024-1:0] dump_path;
    reg use_bin;
    integer n_in, n_out, seed, gap_pct, stall_pct, show, timeout;
    integer in_idx, out_idx, passed, failed, cycles, drain, fd, got;
    reg [31:0] rnd;
    reg [8:0] gap_threshold, stall_threshold;  // 0..256: a cycle gaps/stalls when 8 random bits are below
    reg gap, stall, done;
    reg random_flow;  // gap or stall percentage above 0

    wire in_ready;
    wire out_valid;
    wire [WOUT-1:0] out_y;
    wire [WL-1:0] out_lane;
    wire in_valid = ~rst & ~done & (in_idx < n_in) & ~gap;
    wire out_ready = ~stall;
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;  // memory address bits
    /* verilator lint_off UNUSEDSIGNAL */  // the high index bits are range-checked, not used as address
    wire [31:0] in_idx_bits = in_idx;
    wire [31:0] out_idx_bits = out_idx;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [AW-1:0] in_row = (in_idx < n_in) ? in_idx_bits[AW-1:0] : {AW{1'b0}};
    wire [AW-1:0] out_row = (out_idx < n_out) ? out_idx_bits[AW-1:0] : {AW{1'b0}};
    wire [WOUT-1:0] expected = exp_mem[out_row];
    wire [WL-1:0] expected_lane = lane_mem[out_row];

    generate
        if (DIRECT != 0) begin : g_direct
            adder_pe_direct #(
                .P(P), .WA(WA), .A_SIGNED(A_SIGNED), .WG(WG), .WDIF(WDIF), .WP(WP), .WS(WS), .ACC_SAT(ACC_SAT),
                .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND), .OVF(OVF), .WL(WL)
            ) dut (
                .clk(clk),
                .rst(rst),
                .in_valid(in_valid),
                .in_ready(in_ready),
                .in_tile(tile_mem[in_row]),
                .in_w(u_mem[in_row]),
                .in_first(flag_mem[in_row][0]),
                .in_last(flag_mem[in_row][1]),
                .out_valid(out_valid),
                .out_ready(out_ready),
                .out_lane(out_lane),
                .out_y(out_y)
            );
        end else begin : g_core
            winoadder_core #(
                .P(P), .WA(WA), .A_SIGNED(A_SIGNED), .K(K), .WU(WU), .WV(WV), .WVA(WVA), .WD(WD), .WM(WM),
                .WS(WS), .ACC_SAT(ACC_SAT), .WY(WY), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .ROUND(ROUND),
                .OVF(OVF), .BT(BT), .AT(AT), .WL(WL), .Y_ACC(Y_ACC), .WZ(WZ)
            ) dut (
                .clk(clk),
                .rst(rst),
                .in_valid(in_valid),
                .in_ready(in_ready),
                .in_tile(tile_mem[in_row]),
                .in_u(u_mem[in_row]),
                .in_first(flag_mem[in_row][0]),
                .in_last(flag_mem[in_row][1]),
                .out_valid(out_valid),
                .out_ready(out_ready),
                .out_lane(out_lane),
                .out_y(out_y)
            );
        end
    endgenerate

    function [31:0] xorshift32(input [31:0] x);
        reg [31:0] a, b;
        begin
            a = x ^ (x << 13);
            b = a ^ (a >> 17);
            xorshift32 = b ^ (b << 5);
        end
    endfunction

    function [8:0] threshold(input integer pct);
        /* verilator lint_off UNUSEDSIGNAL */
        reg [31:0] scaled;  // at most 256: 9 bits
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            scaled = (pct * 256) / 100;
            if (pct <= 0) threshold = 9'd0;
            else if (pct >= 100) threshold = 9'd256;
            else threshold = scaled[8:0];
        end
    endfunction

    // Load rows 0..rows-1 of a memory from DIR/<name>.hex ($readmemh) or BINDIR/<name>.bin ($fread).
    `define TB_LOAD(mem, name, rows, row_bytes) \
        if (use_bin) begin \
            $sformat(path, "%0s/%0s.bin", bindir, name); \
            fd = $fopen(path, "rb"); \
            if (fd == 0) $fatal(1, "tb_winoadder_core: cannot open %0s", path); \
            got = $fread(mem, fd, 0, rows); \
            $fclose(fd); \
            if (got != (rows) * (row_bytes)) \
                $fatal(1, "tb_winoadder_core: %0s holds %0d bytes, expected %0d", path, got, (rows) * (row_bytes)); \
        end else begin \
            $sformat(path, "%0s/%0s.hex", dir, name); \
            $readmemh(path, mem, 0, (rows) - 1); \
        end

    task finish_run;
        begin
            if (out_idx > 0) $writememh(actual_path, act_mem, 0, out_idx - 1);
            $display("%0d passed, %0d failed", passed, failed);
            if (failed != 0) $fatal(1, "tb_winoadder_core: %0d of %0d output beats failed", failed, n_out);
            $finish;
        end
    endtask

    initial begin
        if (!$value$plusargs("vectors=%s", dir)) $fatal(1, "tb_winoadder_core: +vectors=DIR is required");
        if (!$value$plusargs("n_in=%d", n_in)) $fatal(1, "tb_winoadder_core: +n_in=N is required");
        if (!$value$plusargs("n_out=%d", n_out)) $fatal(1, "tb_winoadder_core: +n_out=N is required");
        if (!$value$plusargs("actual=%s", actual_path)) actual_path = "actual_out.hex";
        if (!$value$plusargs("seed=%d", seed)) seed = 1;
        if (!$value$plusargs("gap=%d", gap_pct)) gap_pct = 25;
        if (!$value$plusargs("stall=%d", stall_pct)) stall_pct = 25;
        if (!$value$plusargs("show=%d", show)) show = 10;
        if (!$value$plusargs("timeout=%d", timeout)) timeout = 64 * (n_in + n_out) + 1000;
        if (n_in > DEPTH || n_out > DEPTH)
            $fatal(1, "tb_winoadder_core: %0d transactions / %0d outputs exceed DEPTH = %0d", n_in, n_out, DEPTH);
        use_bin = $value$plusargs("bindir=%s", bindir);
        if ($value$plusargs("dumpfile=%s", dump_path)) begin
            $dumpfile(dump_path);
            $dumpvars(0, tb_winoadder_core);
        end
        if (n_in > 0) begin
            `TB_LOAD(tile_mem, "in_tile", n_in, (WT + 7) / 8)
            if (DIRECT != 0) begin
                `TB_LOAD(u_mem, "in_w", n_in, (WUP + 7) / 8)
            end else begin
                `TB_LOAD(u_mem, "in_u", n_in, (WUP + 7) / 8)
            end
            `TB_LOAD(flag_mem, "in_flags", n_in, 1)
        end else begin
            tile_mem[0] = {WT{1'b0}};
            u_mem[0] = {WUP{1'b0}};
            flag_mem[0] = 2'b00;
        end
        if (n_out > 0) begin
            `TB_LOAD(exp_mem, "expected_out", n_out, (WOUT + 7) / 8)
            `TB_LOAD(lane_mem, "expected_lane", n_out, (WL + 7) / 8)
        end else begin
            exp_mem[0] = {WOUT{1'b0}};
            lane_mem[0] = {WL{1'b0}};
        end
        gap_threshold = threshold(gap_pct);
        stall_threshold = threshold(stall_pct);
        random_flow = (gap_threshold != 9'd0) || (stall_threshold != 9'd0);
        rnd = xorshift32((seed ^ 32'h9E3779B9) | 32'h1);
        in_idx = 0;
        out_idx = 0;
        passed = 0;
        failed = 0;
        cycles = 0;
        drain = 0;
        gap = {1'b0, rnd[7:0]} < gap_threshold;
        stall = {1'b0, rnd[15:8]} < stall_threshold;
        done = 1'b0;
        clk = 1'b0;
        rst = 1'b1;
        repeat (4) #5 clk = ~clk;
        rst = 1'b0;
        forever #5 clk = ~clk;
    end

    always @(posedge clk) begin
        if (!rst) begin
            cycles <= cycles + 1;
            if (random_flow) begin  // else gap and stall stay 0: no generator work per cycle
                rnd <= xorshift32(rnd);
                gap <= {1'b0, rnd[7:0]} < gap_threshold;
                stall <= {1'b0, rnd[15:8]} < stall_threshold;
            end
            if (in_valid && in_ready) in_idx <= in_idx + 1;
            if (out_valid && out_ready) begin
                if (out_idx >= n_out) begin
                    failed <= failed + 1;
                    $display("extra output beat %0d: lane %0d, got %h (only %0d expected)", out_idx, out_lane,
                             out_y, n_out);
                end else begin
                    act_mem[out_idx] <= {out_lane, out_y};
                    if (out_y === expected && out_lane === expected_lane) begin
                        passed <= passed + 1;
                    end else begin
                        failed <= failed + 1;
                        if (failed < show)
                            $display("mismatch beat %0d at %0d: expected lane %0d %h, got lane %0d %h", out_idx,
                                     $time, expected_lane, expected, out_lane, out_y);
                    end
                end
                out_idx <= out_idx + 1;
            end
            if (in_idx >= n_in && out_idx >= n_out) begin
                drain <= drain + 1;
                if (drain == DRAIN) begin
                    done <= 1'b1;
                    finish_run;
                end
            end
            if (cycles >= timeout) begin
                $display("watchdog: no completion after %0d cycles: %0d/%0d transactions in, %0d/%0d outputs",
                         cycles, in_idx, n_in, out_idx, n_out);
                if (out_idx > 0) $writememh(actual_path, act_mem, 0, out_idx - 1);
                $display("%0d passed, %0d failed", passed, failed + (n_out - out_idx));
                $fatal(1, "tb_winoadder_core: watchdog expired");
            end
        end
    end
    `undef TB_LOAD
endmodule
