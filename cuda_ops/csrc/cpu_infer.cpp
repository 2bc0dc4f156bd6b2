// Fused CPU passes of the StyleGAN2 synthesis fast path (inference only, float32).
//
// Each kernel replaces several elementwise PyTorch passes over a layer's output with one:
//   up_fir_act : phase interleave of a stride-2 transposed conv + 4x4 FIR + scale + shift
//                + activation + clamp
//   scale_act_ : scale + shift + activation + clamp, in place
//   torgb_add  : 1x1 modulated toRGB + bias + clamp + the [1,3,3,1] 2x upsampling of the
//                previous image, added
// Layouts: NCHW or channels-last (NHWC memory); shifts are read through their strides, so a
// broadcast bias ([1, O, 1, 1] expanded) and a cached [1, O, R, R] noise+bias both work.

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>
#include <torch/library.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

enum Act : int64_t { kLinear = 0, kLrelu = 1, kRelu = 2 };

inline float epilogue(float v, float d, float s, int64_t act, float alpha, float clamp) {
  v = v * d + s;
  if (act == kLrelu) {
    v = v < 0.f ? v * alpha : v;
  } else if (act == kRelu) {
    v = v < 0.f ? 0.f : v;
  }
  if (clamp >= 0.f) v = std::min(std::max(v, -clamp), clamp);
  return v;
}

// 16 floats as one value (GCC/Clang vector extension): the channel blocks below must be
// vectorised across channels, not across taps (which compilers otherwise pick, with gathers)
typedef float v16 __attribute__((vector_size(64)));

inline v16 load16(const float* p) {
  v16 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

inline void store16(float* p, v16 v) { __builtin_memcpy(p, &v, sizeof(v)); }

inline v16 epilogue16(v16 v, v16 d, v16 s, int64_t act, float alpha, float clamp) {
  const v16 zero = {};
  v = v * d + s;
  if (act == kLrelu) {
    v = v < 0.f ? v * alpha : v;
  } else if (act == kRelu) {
    v = v < 0.f ? zero : v;
  }
  if (clamp >= 0.f) {
    v = v < -clamp ? zero - clamp : v;
    v = v > clamp ? zero + clamp : v;
  }
  return v;
}

bool is_cl(const at::Tensor& t) {
  return t.dim() == 4 && t.stride(1) == 1 && t.size(1) > 1;
}

void check_f32_cpu(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.device().is_cpu(), name, " must be a CPU tensor");
  TORCH_CHECK(t.scalar_type() == at::kFloat, name, " must be float32");
}

// y: [N, 4*O, h, w] phase-major conv output (channel p*O + o holds phase p = 2*py + px);
// I[q] (per axis) = phase q%2 at low-res index q/2; out[Y] = sum_k blur[k] I[Y + off + k].
// dco: [N, O] or empty; shift: broadcastable to out ([N|1, O, R|1, R|1]).
void up_fir_act(const at::Tensor& y, at::Tensor out, const at::Tensor& blur,
                const at::Tensor& dco, const at::Tensor& shift, int64_t off, int64_t act,
                double alpha, double clamp) {
  check_f32_cpu(y, "y");
  check_f32_cpu(out, "out");
  check_f32_cpu(shift, "shift");
  TORCH_CHECK(y.dim() == 4 && out.dim() == 4, "y and out must be 4-D");
  const int64_t N = out.size(0), O = out.size(1), R = out.size(2), RW = out.size(3);
  TORCH_CHECK(y.size(0) == N && y.size(1) == 4 * O, "y must be [N, 4*O, h, w]");
  TORCH_CHECK((R - 1 + off + 3) / 2 < y.size(2) && (RW - 1 + off + 3) / 2 < y.size(3),
              "y too small for the output");
  TORCH_CHECK(blur.numel() == 16, "blur must have 16 taps");
  const at::Tensor bl = blur.to(at::kFloat).contiguous();
  float f[16];
  std::copy(bl.data_ptr<float>(), bl.data_ptr<float>() + 16, f);
  const bool has_d = dco.defined() && dco.numel() > 0;
  at::Tensor d = has_d ? dco.to(at::kFloat).contiguous() : at::Tensor();
  TORCH_CHECK(!has_d || d.numel() == N * O, "dco must be [N, O]");
  const at::Tensor sh = shift.expand({N, O, R, RW});
  // phases are read per pixel as channel vectors: NCHW inputs (small images) are re-laid out
  const at::Tensor yc = y.contiguous(at::MemoryFormat::ChannelsLast);
  const float* yp = yc.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const float* sp = sh.data_ptr<float>();
  const float* dp = has_d ? d.data_ptr<float>() : nullptr;
  const int64_t ysN = yc.stride(0), ysH = yc.stride(2), ysW = yc.stride(3);
  const int64_t osN = out.stride(0), osC = out.stride(1), osH = out.stride(2),
                osW = out.stride(3);
  const int64_t ssN = sh.stride(0), ssC = sh.stride(1), ssH = sh.stride(2), ssW = sh.stride(3);
  const float fa = static_cast<float>(alpha), fc = static_cast<float>(clamp);
  constexpr int64_t B = 16;  // channels per register block
  at::parallel_for(0, N * R, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> ones(O, 1.f);
    for (int64_t nr = b0; nr < b1; ++nr) {
      const int64_t n = nr / R, Y = nr % R;
      const float* dv = dp ? dp + n * O : ones.data();
      const float* rows[4];  // the four input rows (and their phase) this output row reads
      for (int64_t ky = 0; ky < 4; ++ky) {
        const int64_t q = Y + off + ky;
        rows[ky] = yp + n * ysN + (q >> 1) * ysH + ((q & 1) << 1) * O;
      }
      for (int64_t X = 0; X < RW; ++X) {
        const float* taps[16];
        for (int64_t ky = 0; ky < 4; ++ky)
          for (int64_t kx = 0; kx < 4; ++kx) {
            const int64_t r = X + off + kx;
            taps[ky * 4 + kx] = rows[ky] + (r >> 1) * ysW + (r & 1) * O;
          }
        float* dst = op + n * osN + Y * osH + X * osW;
        const float* s = sp + n * ssN + Y * ssH + X * ssW;
        int64_t o0 = 0;
        for (; o0 + B <= O; o0 += B) {
          v16 acc = load16(taps[0] + o0) * f[0];
          for (int64_t t = 1; t < 16; ++t) acc += load16(taps[t] + o0) * f[t];
          if (osC == 1 && ssC == 1) {
            store16(dst + o0, epilogue16(acc, load16(dv + o0), load16(s + o0), act, fa, fc));
          } else {
            float a[B];
            store16(a, acc);
            for (int64_t o = 0; o < B; ++o)
              dst[(o0 + o) * osC] =
                  epilogue(a[o], dv[o0 + o], s[(o0 + o) * ssC], act, fa, fc);
          }
        }
        for (; o0 < O; ++o0) {
          float a = 0.f;
          for (int64_t t = 0; t < 16; ++t) a += f[t] * taps[t][o0];
          dst[o0 * osC] = epilogue(a, dv[o0], s[o0 * ssC], act, fa, fc);
        }
      }
    }
  });
}

// y <- clamp(act(y * dco[n, o] + shift)), in place; y NCHW or channels-last.
void scale_act_(at::Tensor y, const at::Tensor& dco, const at::Tensor& shift, int64_t act,
                double alpha, double clamp) {
  check_f32_cpu(y, "y");
  check_f32_cpu(shift, "shift");
  TORCH_CHECK(y.dim() == 4, "y must be 4-D");
  const int64_t N = y.size(0), O = y.size(1), H = y.size(2), W = y.size(3);
  const bool has_d = dco.defined() && dco.numel() > 0;
  at::Tensor d = has_d ? dco.to(at::kFloat).contiguous() : at::Tensor();
  TORCH_CHECK(!has_d || d.numel() == N * O, "dco must be [N, O]");
  const at::Tensor sh = shift.expand({N, O, H, W});
  float* yp = y.data_ptr<float>();
  const float* sp = sh.data_ptr<float>();
  const float* dp = has_d ? d.data_ptr<float>() : nullptr;
  const int64_t sN = y.stride(0), sC = y.stride(1), sH = y.stride(2), sW = y.stride(3);
  const int64_t tN = sh.stride(0), tC = sh.stride(1), tH = sh.stride(2), tW = sh.stride(3);
  const float fa = static_cast<float>(alpha), fc = static_cast<float>(clamp);
  if (sC == 1 && O > 1) {  // channels-last: rows of pixels, channels innermost
    at::parallel_for(0, N * H, 1, [&](int64_t b0, int64_t b1) {
      std::vector<float> ones(O, 1.f);
      for (int64_t nh = b0; nh < b1; ++nh) {
        const int64_t n = nh / H, h = nh % H;
        const float* dv = dp ? dp + n * O : ones.data();
        for (int64_t w = 0; w < W; ++w) {
          float* v = yp + n * sN + h * sH + w * sW;
          const float* s = sp + n * tN + h * tH + w * tW;
          if (tC == 1) {
#pragma omp simd
            for (int64_t o = 0; o < O; ++o) v[o] = epilogue(v[o], dv[o], s[o], act, fa, fc);
          } else {
            for (int64_t o = 0; o < O; ++o) v[o] = epilogue(v[o], dv[o], s[o * tC], act, fa, fc);
          }
        }
      }
    });
    return;
  }
  at::parallel_for(0, N * O, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t no = b0; no < b1; ++no) {
      const int64_t n = no / O, o = no % O;
      const float dv = dp ? dp[no] : 1.f;
      for (int64_t h = 0; h < H; ++h) {
        float* v = yp + n * sN + o * sC + h * sH;
        const float* s = sp + n * tN + o * tC + h * tH;
        if (sW == 1 && tW == 1) {
#pragma omp simd
          for (int64_t w = 0; w < W; ++w) v[w] = epilogue(v[w], dv, s[w], act, fa, fc);
        } else if (sW == 1 && tW == 0) {
          const float s0 = s[0];
#pragma omp simd
          for (int64_t w = 0; w < W; ++w) v[w] = epilogue(v[w], dv, s0, act, fa, fc);
        } else {
          for (int64_t w = 0; w < W; ++w)
            v[w * sW] = epilogue(v[w * sW], dv, s[w * tW], act, fa, fc);
        }
      }
    }
  });
}

inline int64_t wrap_or(int64_t i, int64_t n, bool tile) {
  if (i >= 0 && i < n) return i;
  if (!tile) return -1;
  return (i % n + n) % n;
}

// out[n, c] = up2(img)[n, c] + clamp(bias[c] + sum_i wt[n, c, i] x[n, i]); out NCHW [N, C, R, R].
// up2 is the [1,3,3,1] 2x upsampling (gain 4), wrapped (tileable) or with zeros beyond the
// edges; img may be empty (first toRGB).
void torgb_add(const at::Tensor& x, const at::Tensor& wt, const at::Tensor& bias,
               const at::Tensor& img, at::Tensor out, double clamp, bool tileable) {
  check_f32_cpu(x, "x");
  check_f32_cpu(out, "out");
  TORCH_CHECK(x.dim() == 4 && out.dim() == 4 && out.is_contiguous(), "bad x/out");
  const int64_t N = x.size(0), I = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t C = out.size(1);
  TORCH_CHECK(out.size(0) == N && out.size(2) == H && out.size(3) == W, "out shape");
  const at::Tensor w = wt.to(at::kFloat).contiguous();  // [N, C, I]
  TORCH_CHECK(w.numel() == N * C * I, "wt must be [N, C, I]");
  const at::Tensor b = bias.to(at::kFloat).contiguous();
  TORCH_CHECK(b.numel() == C, "bias must be [C]");
  const bool has_img = img.defined() && img.numel() > 0;
  at::Tensor im = has_img ? img.to(at::kFloat).contiguous() : at::Tensor();
  const int64_t h2 = H / 2, w2 = W / 2;
  TORCH_CHECK(!has_img || (im.size(0) == N && im.size(1) == C && im.size(2) * 2 == H &&
                           im.size(3) * 2 == W),
              "img must be [N, C, H/2, W/2]");
  const float* xp = x.data_ptr<float>();
  const float* wp = w.data_ptr<float>();
  const float* bp = b.data_ptr<float>();
  const float* ip = has_img ? im.data_ptr<float>() : nullptr;
  float* op = out.data_ptr<float>();
  const int64_t sN = x.stride(0), sC = x.stride(1), sH = x.stride(2), sW = x.stride(3);
  const float fc = static_cast<float>(clamp);
  const bool cl = sC == 1 && I > 1;
  at::parallel_for(0, N * H, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> acc(C * W);
    std::vector<float> rowbuf(w2 + 2);
    for (int64_t nh = b0; nh < b1; ++nh) {
      const int64_t n = nh / H, Y = nh % H;
      const float* wn = wp + n * C * I;
      for (int64_t c = 0; c < C; ++c) std::fill(acc.begin() + c * W, acc.begin() + (c + 1) * W, bp[c]);
      if (cl) {
        for (int64_t X = 0; X < W; ++X) {
          const float* px = xp + n * sN + Y * sH + X * sW;
          for (int64_t c = 0; c < C; ++c) {
            const float* wc = wn + c * I;
            float s = 0.f;
#pragma omp simd reduction(+ : s)
            for (int64_t i = 0; i < I; ++i) s += wc[i] * px[i];
            acc[c * W + X] += s;
          }
        }
      } else {
        for (int64_t i = 0; i < I; ++i) {
          const float* row = xp + n * sN + i * sC + Y * sH;
          for (int64_t c = 0; c < C; ++c) {
            const float k = wn[c * I + i];
            float* a = acc.data() + c * W;
            if (sW == 1) {
#pragma omp simd
              for (int64_t X = 0; X < W; ++X) a[X] += k * row[X];
            } else {
              for (int64_t X = 0; X < W; ++X) a[X] += k * row[X * sW];
            }
          }
        }
      }
      // image rows: Y = 2i + py takes (i-1, i) with (1, 3)/4 (py = 0) or (i, i+1) with (3, 1)/4
      const int64_t i0 = Y >> 1, py = Y & 1;
      const int64_t ra = ip ? wrap_or(py ? i0 : i0 - 1, h2, tileable) : -1;
      const int64_t rb = ip ? wrap_or(py ? i0 + 1 : i0, h2, tileable) : -1;
      const float wa = py ? 0.75f : 0.25f, wb = py ? 0.25f : 0.75f;
      for (int64_t c = 0; c < C; ++c) {
        float* dst = op + ((n * C + c) * H + Y) * W;
        const float* a = acc.data() + c * W;
        if (fc >= 0.f) {
#pragma omp simd
          for (int64_t X = 0; X < W; ++X) dst[X] = std::min(std::max(a[X], -fc), fc);
        } else {
          std::copy(a, a + W, dst);
        }
        if (!ip) continue;
        // blend the two image rows first (zero where a row is outside), then the columns
        const float* base = ip + (n * C + c) * h2 * w2;
        float* rr = rowbuf.data() + 1;  // rr[-1] and rr[w2]: the wrapped or zero neighbours
        for (int64_t j = 0; j < w2; ++j)
          rr[j] = (ra >= 0 ? wa * base[ra * w2 + j] : 0.f) +
                  (rb >= 0 ? wb * base[rb * w2 + j] : 0.f);
        rr[-1] = tileable ? rr[w2 - 1] : 0.f;
        rr[w2] = tileable ? rr[0] : 0.f;
        for (int64_t j = 0; j < w2; ++j) {
          dst[2 * j] += 0.25f * rr[j - 1] + 0.75f * rr[j];
          dst[2 * j + 1] += 0.75f * rr[j] + 0.25f * rr[j + 1];
        }
      }
    }
  });
}

}  // namespace

TORCH_LIBRARY(wenyang_cpu, m) {
  m.def(
      "up_fir_act(Tensor y, Tensor(a!) out, Tensor blur, Tensor dco, Tensor shift, int off, "
      "int act, float alpha, float clamp) -> ()");
  m.def(
      "scale_act_(Tensor(a!) y, Tensor dco, Tensor shift, int act, float alpha, float clamp) "
      "-> ()");
  m.def(
      "torgb_add(Tensor x, Tensor wt, Tensor bias, Tensor img, Tensor(a!) out, float clamp, "
      "bool tileable) -> ()");
}

TORCH_LIBRARY_IMPL(wenyang_cpu, CPU, m) {
  m.impl("up_fir_act", &up_fir_act);
  m.impl("scale_act_", &scale_act_);
  m.impl("torgb_add", &torgb_add);
}
