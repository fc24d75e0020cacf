// align: Va = V * 2^K, V moved onto U's grid (K = u_extra_frac). A left shift by wiring, no rounding.
module align #(
    parameter WV = 10,
    parameter K = 2,
    parameter WVA = 12
) (
    input [16*WV-1:0] v,
    output [16*WVA-1:0] va
);
    genvar e;
    generate
        for (e = 0; e < 16; e = e + 1) begin : g_elem
            if (K == 0) begin : g_copy
                assign va[WVA*e +: WVA] = v[WV*e +: WV];
            end else begin : g_shift
                assign va[WVA*e +: WVA] = {v[WV*e +: WV], {K{1'b0}}};
            end
        end
    endgenerate
endmodule
