// align: Va = V * 2^K, V moved onto U's grid (K = u_extra_frac). A left shift by wiring, no rounding.
// One always block assigns the whole tile once: an event-driven simulator sends one event on va per
// change of v (a continuous concatenation re-sends va once per element it is built from, each time
// to every unit reading a slice of it).
module align #(
    parameter WV = 10,
    parameter K = 2,
    parameter WVA = 12
) (
    input [16*WV-1:0] v,
    output reg [16*WVA-1:0] va
);
    generate
        if (K == 0) begin : g_same
            always @(v) va = v;
        end else begin : g_shift
`define AL_E(e) v[WV*(e) +: WV], {K{1'b0}}
            always @(v) begin
                va = {`AL_E(15), `AL_E(14), `AL_E(13), `AL_E(12), `AL_E(11), `AL_E(10), `AL_E(9), `AL_E(8),
                      `AL_E(7), `AL_E(6), `AL_E(5), `AL_E(4), `AL_E(3), `AL_E(2), `AL_E(1), `AL_E(0)};
            end
`undef AL_E
        end
    endgenerate
endmodule
