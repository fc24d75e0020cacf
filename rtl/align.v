// align: Va = V * 2^K, V moved onto U's grid (K = u_extra_frac). A left shift by wiring, no rounding.
// One always block builds the whole tile and assigns it once, so an event-driven simulator sees
// one output event per input change.
module align #(
    parameter WV = 10,
    parameter K = 2,
    parameter WVA = 12
) (
    input [16*WV-1:0] v,
    output [16*WVA-1:0] va
);
    reg [WVA-1:0] v_ext;  // V sign-extended to WVA = WV + K bits
    reg [16*WVA-1:0] va_work, va_tile;
    integer e;

    always @(v) begin  // the input only: the temporaries are written before they are read
        for (e = 0; e < 16; e = e + 1) begin
            v_ext = {{(WVA-WV+1){v[WV*e+WV-1]}}, v[WV*e +: WV-1]};
            va_work[WVA*e +: WVA] = v_ext << K;
        end
        va_tile = va_work;
    end

    assign va = va_tile;
endmodule
