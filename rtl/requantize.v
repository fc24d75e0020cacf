// requantize: out = cast(Y, s{WY}.{f} -> WO-bit output with f - SHIFT fraction bits), combinational.
// An arithmetic shift right by SHIFT with rounding mode ROUND, then overflow mode OVF into WO bits,
// signed (O_SIGNED = 1) or unsigned. Codes as docs/datapath.md / fixedpoint.ROUNDING_CODE, OVERFLOW_CODE:
//   ROUND 0 TRN (floor), 1 TRN_ZERO, 2 TRN_INF (ceil), 3 TRN_AWAY, 4 RND (ties up), 5 RND_ZERO,
//         6 RND_MIN_INF, 7 RND_INF (ties away), 8 RND_CONV (ties even), 9 RND_CONV_ODD (ties odd)
//   OVF   0 WRAP, 1 SAT, 2 SAT_ZERO (overflow gives 0), 3 SAT_SYM (clamp to +-max; min -> -max)
// The rounded value is held exactly in WR = max(WY, WO) + 1 bits.
module requantize #(
    parameter WY = 22,
    parameter WO = 8,
    parameter O_SIGNED = 1,
    parameter SHIFT = 2,
    parameter ROUND = 4,
    parameter OVF = 1
) (
    input [WY-1:0] y,
    output [WO-1:0] q
);
    localparam WR = ((WY > WO) ? WY : WO) + 1;
    localparam [WO-1:0] OUT_MAX = (O_SIGNED != 0) ? {1'b0, {(WO-1){1'b1}}} : {WO{1'b1}};
    localparam [WO-1:0] OUT_MIN = (O_SIGNED != 0) ? {1'b1, {(WO-1){1'b0}}} : {WO{1'b0}};
    // SAT_SYM: the most negative signed output is replaced by -max (unsigned: same as SAT).
    localparam [WO-1:0] OUT_SYM_MIN = (O_SIGNED != 0) ? -OUT_MAX : OUT_MIN;

    wire [WR-1:0] y_ext = {{(WR-WY+1){y[WY-1]}}, y[WY-2:0]};
    wire [WR-1:0] rounded;

    generate
        if (SHIFT == 0) begin : g_exact
            assign rounded = y_ext;
        end else begin : g_round
            wire [WR-1:0] floored = {{SHIFT{y_ext[WR-1]}}, y_ext[WR-1:SHIFT]};
            wire negative = y[WY-1];
            wire [SHIFT-1:0] rest = y[SHIFT-1:0];
            wire inexact = |rest;
            wire tie;         // rest is exactly half an output LSB
            wire above_half;  // rest is more than half
            if (SHIFT == 1) begin : g_one
                assign tie = rest[0];
                assign above_half = 1'b0;
            end else begin : g_more
                wire below_half_bits = |rest[SHIFT-2:0];
                assign tie = rest[SHIFT-1] & ~below_half_bits;
                assign above_half = rest[SHIFT-1] & below_half_bits;
            end
            wire round_up =
                (ROUND == 1) ? (negative & inexact) :                     // TRN_ZERO
                (ROUND == 2) ? inexact :                                  // TRN_INF
                (ROUND == 3) ? (~negative & inexact) :                    // TRN_AWAY
                (ROUND == 4) ? rest[SHIFT-1] :                            // RND
                (ROUND == 5) ? (above_half | (tie & negative)) :          // RND_ZERO
                (ROUND == 6) ? above_half :                               // RND_MIN_INF
                (ROUND == 7) ? (above_half | (tie & ~negative)) :         // RND_INF
                (ROUND == 8) ? (above_half | (tie & floored[0])) :        // RND_CONV
                (ROUND == 9) ? (above_half | (tie & ~floored[0])) :       // RND_CONV_ODD
                1'b0;                                                     // TRN
            assign rounded = floored + {{(WR-1){1'b0}}, round_up};
        end
    endgenerate

    // In range iff the bits above the output's value bits are all copies of the sign (signed)
    // or all zero (unsigned).
    wire [WR-WO:0] upper = rounded[WR-1:WO-1];
    wire fits = (O_SIGNED != 0) ? ((&upper) | ~(|upper)) : ~(|upper[WR-WO:1]);
    wire below = rounded[WR-1];
    wire is_min = (O_SIGNED != 0) & fits & (rounded[WO-1:0] == OUT_MIN);
    wire [WO-1:0] saturated = below ? OUT_MIN : OUT_MAX;

    assign q = (OVF == 1) ? (fits ? rounded[WO-1:0] : saturated) :
               (OVF == 2) ? (fits ? rounded[WO-1:0] : {WO{1'b0}}) :
               (OVF == 3) ? ((fits & ~is_min) ? rounded[WO-1:0] : (below ? OUT_SYM_MIN : OUT_MAX)) :
               rounded[WO-1:0];
endmodule
