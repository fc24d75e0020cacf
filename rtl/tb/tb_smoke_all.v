// Every per-module smoke testbench in one build (for Verilator, whose builds are slow): each runs when
// its +<module>_n plusarg is given, all run concurrently, and the simulation ends when all are done.
// Parameters: the winoadder_core set, plus the direct PE's (D_*) and the accumulator test width CA_WS.
module tb_smoke_all;
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
    parameter BT = 32'hC4341431;
    parameter AT = 16'hD435;
    parameter WL = 2;
    parameter Y_ACC = 0;
    parameter WZ = 16;
    parameter D_WG = 8;
    parameter D_WDIF = 9;
    parameter D_WP = 13;
    parameter D_WS = 19;
    parameter D_SHIFT = 0;
    parameter D_ACC_SAT = 0;
    parameter CA_WS = 15;

    tb_smoke_input_transform #(.WA(WA), .A_SIGNED(A_SIGNED), .WV(WV), .BT(BT), .STANDALONE(0))
        u_input_transform ();
    tb_smoke_align #(.WV(WV), .K(K), .WVA(WVA), .STANDALONE(0)) u_align ();
    tb_smoke_neg_abs_diff #(.WU(WU), .WVA(WVA), .WD(WD), .STANDALONE(0)) u_neg_abs_diff ();
    tb_smoke_channel_accumulate #(.WIN(WD), .WS(CA_WS), .STANDALONE(0)) u_channel_accumulate ();
    tb_smoke_output_transform #(.WS(WS), .WY(WY), .AT(AT), .STANDALONE(0)) u_output_transform ();
    tb_smoke_requantize #(.WY(WY), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT), .STANDALONE(0))
        u_requantize ();
    tb_smoke_winoadder_core #(
        .P(P), .WA(WA), .A_SIGNED(A_SIGNED), .K(K), .WU(WU), .WV(WV), .WVA(WVA), .WD(WD), .WM(WM),
        .WS(WS), .ACC_SAT(ACC_SAT), .WY(WY), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(SHIFT),
        .ROUND(ROUND), .OVF(OVF), .BT(BT), .AT(AT), .WL(WL), .Y_ACC(Y_ACC), .WZ(WZ), .STANDALONE(0)
    ) u_winoadder_core ();
    tb_smoke_adder_pe_direct #(
        .P(P), .WA(WA), .A_SIGNED(A_SIGNED), .WG(D_WG), .WDIF(D_WDIF), .WP(D_WP), .WS(D_WS),
        .ACC_SAT(D_ACC_SAT), .WO(WO), .O_SIGNED(O_SIGNED), .SHIFT(D_SHIFT), .ROUND(ROUND), .OVF(OVF),
        .WL(WL), .STANDALONE(0)
    ) u_adder_pe_direct ();

    initial begin
        #1;
        wait (u_input_transform.done === 1'b1 && u_align.done === 1'b1 && u_neg_abs_diff.done === 1'b1
              && u_channel_accumulate.done === 1'b1 && u_output_transform.done === 1'b1
              && u_requantize.done === 1'b1 && u_winoadder_core.done === 1'b1
              && u_adder_pe_direct.done === 1'b1);
        $finish;
    end
endmodule
