// Fused CPU passes of the StyleGAN2 synthesis fast path (inference only, float32).
//
// Each kernel replaces several elementwise PyTorch passes over a layer's output with one:
//   up_fir_act : phase interleave of a stride-2 transposed conv + 4x4 FIR + scale + shift
//                + activation + clamp
//   scale_act_ : scale + shift + activation + clamp, in place
//   rgb_add_   : toRGB bias + clamp + the [1,3,3,1] 2x upsampling of the previous image,
//                added (the 1x1 toRGB product itself is one batched matrix product)
//   styles_dco : a layer's style affine and demodulation coefficients
//   pad_scale  : styles x input, wrapped or zero-padded (the input pass of a layer)
//   conv_taps_act / conv_taps_fir_act : a conv as matrix products of the padded pixels with
//                all its taps' weights (Z = x @ [W_t1 .. W_tT], in row bands that stay in
//                cache), then sums of shifted tap products, for 2x-up layers the phase
//                interleave and separable FIR, then the epilogue
// Layouts: NCHW or channels-last (NHWC memory); shifts are read through their strides, so a
// broadcast bias ([1, O, 1, 1] expanded) and a cached [1, O, R, R] noise+bias both work.

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/add.h>
#include <ATen/ops/mm.h>
#include <c10/util/Exception.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <tuple>
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

const v16 zero16 = {};

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
void scale_act_(at::Tensor y, const at::Tensor& dco, const at::Tensor& shift,
                const at::Tensor& noise, int64_t act, double alpha, double clamp) {
  check_f32_cpu(y, "y");
  check_f32_cpu(shift, "shift");
  TORCH_CHECK(y.dim() == 4, "y must be 4-D");
  const int64_t N = y.size(0), O = y.size(1), H = y.size(2), W = y.size(3);
  const bool has_d = dco.defined() && dco.numel() > 0;
  at::Tensor d = has_d ? dco.to(at::kFloat).contiguous() : at::Tensor();
  TORCH_CHECK(!has_d || d.numel() == N * O, "dco must be [N, O]");
  // noise [N|1, 1, H, W] (or empty) is added to the shift: per pixel in the channels-last
  // loop; otherwise (rare: NCHW outputs) the sum is formed first
  const bool has_nz = noise.defined() && noise.numel() > 0;
  const bool cl_path = y.stride(1) == 1 && O > 1;
  at::Tensor nz = has_nz ? noise.expand({N, 1, H, W}) : at::Tensor();
  const at::Tensor sh = (has_nz && !cl_path) ? at::add(shift, noise).expand({N, O, H, W}).contiguous()
                                             : shift.expand({N, O, H, W});
  const float* nzp = (has_nz && cl_path) ? nz.data_ptr<float>() : nullptr;
  const int64_t zN = has_nz ? nz.stride(0) : 0, zH = has_nz ? nz.stride(2) : 0,
                zW = has_nz ? nz.stride(3) : 0;
  float* yp = y.data_ptr<float>();
  const float* sp = sh.data_ptr<float>();
  const float* dp = has_d ? d.data_ptr<float>() : nullptr;
  const int64_t sN = y.stride(0), sC = y.stride(1), sH = y.stride(2), sW = y.stride(3);
  const int64_t tN = sh.stride(0), tC = sh.stride(1), tH = sh.stride(2), tW = sh.stride(3);
  const float fa = static_cast<float>(alpha), fc = static_cast<float>(clamp);
  if (cl_path) {  // channels-last: rows of pixels, channels innermost
    at::parallel_for(0, N * H, 1, [&](int64_t b0, int64_t b1) {
      std::vector<float> ones(O, 1.f);
      for (int64_t nh = b0; nh < b1; ++nh) {
        const int64_t n = nh / H, h = nh % H;
        const float* dv = dp ? dp + n * O : ones.data();
        for (int64_t w = 0; w < W; ++w) {
          float* v = yp + n * sN + h * sH + w * sW;
          const float* s = sp + n * tN + h * tH + w * tW;
          const float z = nzp ? nzp[n * zN + h * zH + w * zW] : 0.f;
          if (tC == 1) {
            int64_t o = 0;
            for (; o + 16 <= O; o += 16)
              store16(v + o,
                      epilogue16(load16(v + o), load16(dv + o), load16(s + o) + z, act, fa, fc));
            for (; o < O; ++o) v[o] = epilogue(v[o], dv[o], s[o] + z, act, fa, fc);
          } else {
            for (int64_t o = 0; o < O; ++o)
              v[o] = epilogue(v[o], dv[o], s[o * tC] + z, act, fa, fc);
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

// In place on a toRGB output y [N, C, H, W] (NCHW, contiguous):
// y = clamp(y + bias[c]) + up2(img), where up2 is the [1,3,3,1] 2x upsampling (gain 4) of the
// previous image, wrapped (tileable) or with zeros beyond the edges; img may be empty.
void rgb_add_(at::Tensor y, const at::Tensor& bias, const at::Tensor& img, double clamp,
              bool tileable) {
  check_f32_cpu(y, "y");
  TORCH_CHECK(y.dim() == 4 && y.is_contiguous(), "y must be contiguous NCHW");
  const int64_t N = y.size(0), C = y.size(1), H = y.size(2), W = y.size(3);
  const at::Tensor b = bias.to(at::kFloat).contiguous();
  TORCH_CHECK(b.numel() == C, "bias must be [C]");
  const bool has_img = img.defined() && img.numel() > 0;
  at::Tensor im = has_img ? img.to(at::kFloat).contiguous() : at::Tensor();
  const int64_t h2 = H / 2, w2 = W / 2;
  TORCH_CHECK(!has_img || (im.size(0) == N && im.size(1) == C && im.size(2) * 2 == H &&
                           im.size(3) * 2 == W),
              "img must be [N, C, H/2, W/2]");
  float* yp = y.data_ptr<float>();
  const float* bp = b.data_ptr<float>();
  const float* ip = has_img ? im.data_ptr<float>() : nullptr;
  const float fc = static_cast<float>(clamp);
  at::parallel_for(0, N * C * H, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> rowbuf(w2 + 2);
    for (int64_t r = b0; r < b1; ++r) {
      const int64_t nc = r / H, Y = r % H, c = nc % C;
      float* dst = yp + r * W;
      const float bc = bp[c];
      int64_t X = 0;
      for (; X + 16 <= W; X += 16) {
        v16 v = load16(dst + X) + bc;
        if (fc >= 0.f) {
          v = v < -fc ? zero16 - fc : v;
          v = v > fc ? zero16 + fc : v;
        }
        store16(dst + X, v);
      }
      for (; X < W; ++X) dst[X] = fc >= 0.f ? std::min(std::max(dst[X] + bc, -fc), fc) : dst[X] + bc;
      if (!ip) continue;
      // rows: Y = 2i + py takes (i-1, i) with (1, 3)/4 (py = 0) or (i, i+1) with (3, 1)/4;
      // the two image rows are blended first (zero where outside), then the columns
      const int64_t i0 = Y >> 1, py = Y & 1;
      const int64_t ra = wrap_or(py ? i0 : i0 - 1, h2, tileable);
      const int64_t rb = wrap_or(py ? i0 + 1 : i0, h2, tileable);
      const float wa = py ? 0.75f : 0.25f, wb = py ? 0.25f : 0.75f;
      const float* base = ip + nc * h2 * w2;
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
  });
}

// out = x * styles[n, i], padded by (lo, hi) on both spatial axes: wrapped (tileable) or
// zeros; keeps x's memory format. The input pass of a layer whose conv has constant weights.
at::Tensor pad_scale(const at::Tensor& x, const at::Tensor& styles, int64_t lo, int64_t hi,
                     bool tileable, bool to_cl) {
  check_f32_cpu(x, "x");
  TORCH_CHECK(x.dim() == 4, "x must be 4-D");
  const int64_t N = x.size(0), I = x.size(1), H = x.size(2), W = x.size(3);
  TORCH_CHECK(lo >= 0 && hi >= 0 && (!tileable || (lo <= H && hi <= H && lo <= W && hi <= W)),
              "padding larger than the tile");
  const bool has_s = styles.defined() && styles.numel() > 0;
  at::Tensor st = has_s ? styles.to(at::kFloat).contiguous() : at::Tensor();
  TORCH_CHECK(!has_s || st.numel() == N * I, "styles must be [N, I]");
  const bool cl = to_cl || (x.stride(1) == 1 && I > 1 && !x.is_contiguous());
  const int64_t Hp = H + lo + hi, Wp = W + lo + hi;
  at::Tensor out = at::empty({N, I, Hp, Wp}, x.options().memory_format(
                                                cl ? at::MemoryFormat::ChannelsLast
                                                   : at::MemoryFormat::Contiguous));
  const float* xp = x.data_ptr<float>();
  const float* spp = has_s ? st.data_ptr<float>() : nullptr;
  float* op = out.data_ptr<float>();
  const int64_t xN = x.stride(0), xC = x.stride(1), xH = x.stride(2), xW = x.stride(3);
  const int64_t oN = out.stride(0), oC = out.stride(1), oH = out.stride(2), oW = out.stride(3);
  std::vector<int64_t> col(Wp);
  for (int64_t j = 0; j < Wp; ++j) col[j] = wrap_or(j - lo, W, tileable);
  if (cl) {
    at::parallel_for(0, N * Hp, 1, [&](int64_t b0, int64_t b1) {
      std::vector<float> ones(I, 1.f);
      for (int64_t nr = b0; nr < b1; ++nr) {
        const int64_t n = nr / Hp, r = nr % Hp;
        const int64_t sr = wrap_or(r - lo, H, tileable);
        const float* sv = spp ? spp + n * I : ones.data();
        for (int64_t j = 0; j < Wp; ++j) {
          float* dst = op + n * oN + r * oH + j * oW;
          if (sr < 0 || col[j] < 0) {
            std::fill(dst, dst + I, 0.f);
            continue;
          }
          const float* src = xp + n * xN + sr * xH + col[j] * xW;
          if (xC == 1) {
            int64_t i = 0;
            for (; i + 16 <= I; i += 16) store16(dst + i, load16(src + i) * load16(sv + i));
            for (; i < I; ++i) dst[i] = src[i] * sv[i];
          } else {
            for (int64_t i = 0; i < I; ++i) dst[i] = src[i * xC] * sv[i];
          }
        }
      }
    });
    return out;
  }
  at::parallel_for(0, N * I, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t ni = b0; ni < b1; ++ni) {
      const int64_t n = ni / I, i = ni % I;
      const float sv = spp ? spp[ni] : 1.f;
      for (int64_t r = 0; r < Hp; ++r) {
        float* dst = op + n * oN + i * oC + r * oH;
        const int64_t sr = wrap_or(r - lo, H, tileable);
        if (sr < 0) {
          for (int64_t j = 0; j < Wp; ++j) dst[j * oW] = 0.f;
          continue;
        }
        const float* src = xp + n * xN + i * xC + sr * xH;
        for (int64_t j = 0; j < Wp; ++j)
          dst[j * oW] = col[j] < 0 ? 0.f : src[col[j] * xW] * sv;
      }
    }
  });
  return out;
}

// A convolution as matrix products over its taps: Z = xs @ [W_t1 .. W_tT] gives, per padded
// input pixel, its product with every tap's weight (MKL runs this near the machine's peak);
// tap (phase p, t, dy, dx) then contributes Z[(a + dy, b + dx), t] to the phase-p output at
// (a, b), and summing those shifted reads is fused with what follows. Z is computed in bands
// of input rows kept in a buffer of ~band_bytes (rows no output needs any more are dropped,
// the next rows appended), so it stays in the L2 cache instead of making a trip through L3
// or memory (a 256 px layer's full Z is ~10 MB).
int64_t band_bytes = 512 * 1024;  // settable (tests force bands on small inputs)

int64_t set_band_bytes(int64_t b) {
  const int64_t old = band_bytes;
  if (b > 0) band_bytes = b;
  return old;
}

struct Taps {
  // per phase: (dy, offset within a Z row = dx * T * O + t * O)
  std::vector<std::vector<std::pair<int64_t, int64_t>>> ph;
  int64_t maxdy = 0, maxdx = 0;
};

Taps make_taps(const at::Tensor& taps, int64_t P, int64_t T, int64_t O) {
  const at::Tensor tp = taps.to(at::kLong).contiguous();
  TORCH_CHECK(tp.dim() == 2 && tp.size(1) == 4, "taps must be [K, 4]");
  Taps ts;
  ts.ph.resize(P);
  const int64_t* q = tp.data_ptr<int64_t>();
  for (int64_t k = 0; k < tp.size(0); ++k) {
    const int64_t p = q[4 * k], t = q[4 * k + 1], dy = q[4 * k + 2], dx = q[4 * k + 3];
    TORCH_CHECK(p >= 0 && p < P && t >= 0 && t < T && dy >= 0 && dx >= 0, "bad tap");
    ts.ph[p].emplace_back(dy, dx * T * O + t * O);
    ts.maxdy = std::max(ts.maxdy, dy);
    ts.maxdx = std::max(ts.maxdx, dx);
  }
  return ts;
}

// Rows [z0, z0 + cnt) of Z for sample n, computed on demand in bands.
class ZRows {
 public:
  ZRows(const at::Tensor& xs, const at::Tensor& w, int64_t min_rows)
      : N_(xs.size(0)), Hp_(xs.size(2)), Wp_(xs.size(3)), TO_(w.size(1)) {
    const int64_t I = xs.size(1);
    xs2_ = xs.permute({0, 2, 3, 1}).reshape({N_ * Hp_ * Wp_, I});  // a view: xs is NHWC
    w_ = w;
    const int64_t row_bytes = Wp_ * TO_ * 4;
    cap_ = std::max(min_rows, band_bytes / row_bytes);
    if (Hp_ * row_bytes <= 3 * band_bytes) cap_ = Hp_;  // small: one product, better shaped
    cap_ = std::min(cap_, Hp_);
    buf_ = at::empty({cap_ * Wp_, TO_}, xs.options());
  }

  const float* row(int64_t r) const { return buf_.data_ptr<float>() + (r - z0_) * Wp_ * TO_; }

  // make rows [lo, hi] of sample n available (rows below lo may be dropped)
  void need(int64_t n, int64_t lo, int64_t hi) {
    TORCH_CHECK(hi < Hp_ && hi - lo + 1 <= cap_, "Z rows out of range");
    if (n != n_) {
      n_ = n;
      z0_ = lo;
      cnt_ = 0;
    }
    if (lo >= z0_ && hi < z0_ + cnt_) return;
    const int64_t rs = Wp_ * TO_;
    float* b = buf_.data_ptr<float>();
    if (lo >= z0_ + cnt_) {
      z0_ = lo;
      cnt_ = 0;
    } else if (lo > z0_) {
      const int64_t keep = z0_ + cnt_ - lo;
      std::memmove(b, b + (lo - z0_) * rs, keep * rs * sizeof(float));
      z0_ = lo;
      cnt_ = keep;
    }
    const int64_t r1 = std::min(Hp_, z0_ + cap_);
    const int64_t first = z0_ + cnt_, count = r1 - first;
    at::Tensor dst = buf_.narrow(0, cnt_ * Wp_, count * Wp_);
    at::mm_out(dst, xs2_.narrow(0, (n * Hp_ + first) * Wp_, count * Wp_), w_);
    cnt_ = r1 - z0_;
  }

  int64_t cap() const { return cap_; }

 private:
  int64_t N_, Hp_, Wp_, TO_, cap_;
  at::Tensor xs2_, w_, buf_;
  int64_t n_ = -1, z0_ = 0, cnt_ = 0;
};

// dst[0:O] = sum over the taps of the Z rows' shifted products
inline void tap_sum(const float* const* rows, const std::vector<std::pair<int64_t, int64_t>>& tl,
                    int64_t base, int64_t O, float* dst) {
  const int64_t nt = static_cast<int64_t>(tl.size());
  int64_t o = 0;
  for (; o + 16 <= O; o += 16) {
    v16 a = v16{};
    for (int64_t k = 0; k < nt; ++k) a += load16(rows[tl[k].first] + base + tl[k].second + o);
    store16(dst + o, a);
  }
  for (; o < O; ++o) {
    float a = 0.f;
    for (int64_t k = 0; k < nt; ++k) a += rows[tl[k].first][base + tl[k].second + o];
    dst[o] = a;
  }
}

struct Epi {
  const float* dv;  // [O] scale
  const float* s;   // shift at this pixel, channel stride sC
  int64_t sC;
  int64_t act;
  float alpha, clamp;
  float nz;  // per-pixel noise added to every channel (0 without)
};

// dst (channel stride dC) = epilogue(acc[0:O])
inline void store_epi(const float* acc, int64_t O, const Epi& e, float* dst, int64_t dC) {
  int64_t o = 0;
  if (dC == 1 && e.sC == 1) {
    for (; o + 16 <= O; o += 16)
      store16(dst + o, epilogue16(load16(acc + o), load16(e.dv + o), load16(e.s + o) + e.nz,
                                  e.act, e.alpha, e.clamp));
  }
  for (; o < O; ++o)
    dst[o * dC] = epilogue(acc[o], e.dv[o], e.s[o * e.sC] + e.nz, e.act, e.alpha, e.clamp);
}

struct EpiArgs {
  at::Tensor d, sh, nz;
  const float* dp;
  const float* sp;
  int64_t sN, sC, sH, sW;
  const float* np = nullptr;  // noise [N|1, 1, R, RW] expanded
  int64_t nN = 0, nH = 0, nW = 0;
  float noise(int64_t n, int64_t y, int64_t x) const {
    return np ? np[n * nN + y * nH + x * nW] : 0.f;
  }
};

EpiArgs epi_args(const at::Tensor& dco, const at::Tensor& shift, const at::Tensor& noise,
                 int64_t N, int64_t O, int64_t R, int64_t RW) {
  check_f32_cpu(shift, "shift");
  EpiArgs a;
  if (noise.defined() && noise.numel() > 0) {
    check_f32_cpu(noise, "noise");
    a.nz = noise.expand({N, 1, R, RW});
    a.np = a.nz.data_ptr<float>();
    a.nN = a.nz.stride(0);
    a.nH = a.nz.stride(2);
    a.nW = a.nz.stride(3);
  }
  const bool has_d = dco.defined() && dco.numel() > 0;
  a.d = has_d ? dco.to(at::kFloat).contiguous() : at::Tensor();
  TORCH_CHECK(!has_d || a.d.numel() == N * O, "dco must be [N, O]");
  a.sh = shift.expand({N, O, R, RW});
  a.dp = has_d ? a.d.data_ptr<float>() : nullptr;
  a.sp = a.sh.data_ptr<float>();
  a.sN = a.sh.stride(0);
  a.sC = a.sh.stride(1);
  a.sH = a.sh.stride(2);
  a.sW = a.sh.stride(3);
  return a;
}

void check_conv_args(const at::Tensor& xs, const at::Tensor& w, const at::Tensor& out) {
  check_f32_cpu(xs, "xs");
  check_f32_cpu(w, "w");
  check_f32_cpu(out, "out");
  TORCH_CHECK(xs.dim() == 4 && out.dim() == 4 && w.dim() == 2, "xs, out 4-D; w 2-D");
  TORCH_CHECK(xs.size(1) == 1 || xs.is_contiguous(at::MemoryFormat::ChannelsLast),
              "xs must be channels-last");
  TORCH_CHECK(w.is_contiguous() && w.size(0) == xs.size(1), "w must be [I, T*O] contiguous");
  TORCH_CHECK(out.size(0) == xs.size(0), "batch sizes differ");
}

// Plain conv of the padded xs: out[n, o, y, x] = epilogue(sum_t Z[n, (y+dy_t, x+dx_t), t, o]).
void conv_taps_act(const at::Tensor& xs, const at::Tensor& w, const at::Tensor& taps,
                   at::Tensor out, const at::Tensor& dco, const at::Tensor& shift,
                   const at::Tensor& noise, int64_t act, double alpha, double clamp) {
  check_conv_args(xs, w, out);
  const int64_t N = out.size(0), O = out.size(1), R = out.size(2), RW = out.size(3);
  const int64_t Hp = xs.size(2), Wp = xs.size(3);
  TORCH_CHECK(w.size(1) % O == 0, "w must be [I, T*O]");
  const int64_t T = w.size(1) / O, TO = w.size(1);
  const Taps ts = make_taps(taps, 1, T, O);
  TORCH_CHECK(R - 1 + ts.maxdy < Hp && RW - 1 + ts.maxdx < Wp, "window outside xs");
  const EpiArgs ea = epi_args(dco, shift, noise, N, O, R, RW);
  float* op = out.data_ptr<float>();
  const int64_t oN = out.stride(0), oC = out.stride(1), oH = out.stride(2), oW = out.stride(3);
  const float fa = static_cast<float>(alpha), fc = static_cast<float>(clamp);
  ZRows z(xs, w, ts.maxdy + 1);
  std::vector<float> acc(O), ones(O, 1.f);
  std::vector<const float*> rows(ts.maxdy + 1);
  for (int64_t n = 0; n < N; ++n) {
    const float* dv = ea.dp ? ea.dp + n * O : ones.data();
    for (int64_t y = 0; y < R; ++y) {
      z.need(n, y, y + ts.maxdy);
      for (int64_t dy = 0; dy <= ts.maxdy; ++dy) rows[dy] = z.row(y + dy);
      for (int64_t x = 0; x < RW; ++x) {
        tap_sum(rows.data(), ts.ph[0], x * TO, O, acc.data());
        const Epi e{dv, ea.sp + n * ea.sN + y * ea.sH + x * ea.sW, ea.sC, act, fa, fc,
                    ea.noise(n, y, x)};
        store_epi(acc.data(), O, e, op + n * oN + y * oH + x * oW, oC);
      }
    }
  }
}

// 2x-up layer of the padded low-res xs: the four phases of the stride-2 transposed conv
// (phase p = 2*py + px at low-res (a, b): the sum of its taps) interleaved on the 2x grid I,
// then the separable FIR out[Y, X] = sum_ky fy[ky] sum_kx fx[kx] I[Y+off+ky, X+off+kx], then
// the epilogue. Rows of I are filtered horizontally once each and kept in a ring of four.
struct FirArgs {
  int64_t N, O, R, RW, TO, off, act;
  const Taps* ts;
  ZRows* z;
  float fyv[4], fxv[4];
  const EpiArgs* ea;
  float* op;
  int64_t oN, oC, oH, oW;
  float fa, fc;
};

// The per-sample work of conv_taps_fir_act; OB = O / 16 when known at compile time (the
// common channel counts: the channel loops then unroll), 0 for any O.
template <int OB>
void fir_impl(const FirArgs& A) {
  const int64_t O = OB > 0 ? 16 * OB : A.O;
  const int64_t R = A.R, RW = A.RW, TO = A.TO, off = A.off;
  const Taps& ts = *A.ts;
  const EpiArgs& ea = *A.ea;
  const float* fxv = A.fxv;
  const float* fyv = A.fyv;
  const int64_t NI = RW + 3;  // interleaved columns r = off .. off + RW + 2
  std::vector<float> irow(NI * O), ring(4 * RW * O), acc(O), ones(O, 1.f);
  std::vector<const float*> rows(ts.maxdy + 1);
  const bool fast_store = A.oC == 1 && ea.sC == 1;
  for (int64_t n = 0; n < A.N; ++n) {
    int64_t ring_q[4] = {-1, -1, -1, -1};
    // horizontally filtered interleaved row q, into ring slot q % 4
    auto hrow = [&](int64_t q) {
      float* H = ring.data() + (q & 3) * RW * O;
      const int64_t py = q & 1, a = q >> 1;
      A.z->need(n, a, a + ts.maxdy);
      for (int64_t dy = 0; dy <= ts.maxdy; ++dy) rows[dy] = A.z->row(a + dy);
      // per column parity: the tap pointers of its phase (row offset b * TO added below)
      const float* tp[2][8];
      int64_t nt[2];
      for (int64_t px = 0; px < 2; ++px) {
        const auto& tl = ts.ph[(py << 1) | px];
        nt[px] = static_cast<int64_t>(tl.size());
        TORCH_CHECK(nt[px] <= 8, "too many taps per phase");
        for (int64_t k = 0; k < nt[px]; ++k) tp[px][k] = rows[tl[k].first] + tl[k].second;
      }
      for (int64_t j = 0; j < NI; ++j) {
        const int64_t r = off + j, px = r & 1, base = (r >> 1) * TO;
        const float* const* P = tp[px];
        float* d = irow.data() + j * O;
        int64_t o = 0;
        switch (nt[px]) {  // the 2x-up phases have 4, 2, 2 and 1 taps
          case 1:
            for (; o + 16 <= O; o += 16) store16(d + o, load16(P[0] + base + o));
            break;
          case 2:
            for (; o + 16 <= O; o += 16)
              store16(d + o, load16(P[0] + base + o) + load16(P[1] + base + o));
            break;
          case 4:
            for (; o + 16 <= O; o += 16)
              store16(d + o, (load16(P[0] + base + o) + load16(P[1] + base + o)) +
                                 (load16(P[2] + base + o) + load16(P[3] + base + o)));
            break;
          default:
            for (; o + 16 <= O; o += 16) {
              v16 acc16 = v16{};
              for (int64_t k = 0; k < nt[px]; ++k) acc16 += load16(P[k] + base + o);
              store16(d + o, acc16);
            }
        }
        for (; o < O; ++o) {
          float acc1 = 0.f;
          for (int64_t k = 0; k < nt[px]; ++k) acc1 += P[k][base + o];
          d[o] = acc1;
        }
      }
      for (int64_t X = 0; X < RW; ++X) {
        const float* sv = irow.data() + X * O;
        float* h = H + X * O;
        int64_t o = 0;
        for (; o + 16 <= O; o += 16)
          store16(h + o, load16(sv + o) * fxv[0] + load16(sv + O + o) * fxv[1] +
                             load16(sv + 2 * O + o) * fxv[2] + load16(sv + 3 * O + o) * fxv[3]);
        for (; o < O; ++o)
          h[o] = sv[o] * fxv[0] + sv[O + o] * fxv[1] + sv[2 * O + o] * fxv[2] +
                 sv[3 * O + o] * fxv[3];
      }
      ring_q[q & 3] = q;
    };
    const float* dv = ea.dp ? ea.dp + n * O : ones.data();
    for (int64_t Y = 0; Y < R; ++Y) {
      for (int64_t ky = 0; ky < 4; ++ky)
        if (ring_q[(Y + off + ky) & 3] != Y + off + ky) hrow(Y + off + ky);
      const float* h0 = ring.data() + ((Y + off) & 3) * RW * O;
      const float* h1 = ring.data() + ((Y + off + 1) & 3) * RW * O;
      const float* h2 = ring.data() + ((Y + off + 2) & 3) * RW * O;
      const float* h3 = ring.data() + ((Y + off + 3) & 3) * RW * O;
      float* orow = A.op + n * A.oN + Y * A.oH;
      const float* srow = ea.sp + n * ea.sN + Y * ea.sH;
      for (int64_t X = 0; X < RW; ++X) {
        const int64_t c = X * O;
        const float nz = ea.noise(n, Y, X);
        if (OB > 0 && fast_store) {  // straight from the filter to the output
          float* dst = orow + X * A.oW;
          const float* sv = srow + X * ea.sW;
          for (int64_t o = 0; o < O; o += 16) {
            const v16 v = load16(h0 + c + o) * fyv[0] + load16(h1 + c + o) * fyv[1] +
                          load16(h2 + c + o) * fyv[2] + load16(h3 + c + o) * fyv[3];
            store16(dst + o,
                    epilogue16(v, load16(dv + o), load16(sv + o) + nz, A.act, A.fa, A.fc));
          }
          continue;
        }
        int64_t o = 0;
        for (; o + 16 <= O; o += 16)
          store16(acc.data() + o,
                  load16(h0 + c + o) * fyv[0] + load16(h1 + c + o) * fyv[1] +
                      load16(h2 + c + o) * fyv[2] + load16(h3 + c + o) * fyv[3]);
        for (; o < O; ++o)
          acc[o] = h0[c + o] * fyv[0] + h1[c + o] * fyv[1] + h2[c + o] * fyv[2] +
                   h3[c + o] * fyv[3];
        const Epi e{dv, srow + X * ea.sW, ea.sC, A.act, A.fa, A.fc, nz};
        store_epi(acc.data(), O, e, orow + X * A.oW, A.oC);
      }
    }
  }
}

void conv_taps_fir_act(const at::Tensor& xs, const at::Tensor& w, const at::Tensor& taps,
                       const at::Tensor& fy, const at::Tensor& fx, int64_t off, at::Tensor out,
                       const at::Tensor& dco, const at::Tensor& shift, const at::Tensor& noise,
                       int64_t act, double alpha, double clamp) {
  check_conv_args(xs, w, out);
  const int64_t N = out.size(0), O = out.size(1), R = out.size(2), RW = out.size(3);
  const int64_t Hp = xs.size(2), Wp = xs.size(3);
  TORCH_CHECK(w.size(1) % O == 0, "w must be [I, T*O]");
  const int64_t T = w.size(1) / O, TO = w.size(1);
  const Taps ts = make_taps(taps, 4, T, O);
  // low-res phase positions used: a <= (R - 1 + off + 3) / 2, likewise b
  TORCH_CHECK((R + off + 2) / 2 + ts.maxdy < Hp && (RW + off + 2) / 2 + ts.maxdx < Wp,
              "output larger than the phases of xs");
  TORCH_CHECK(fy.numel() == 4 && fx.numel() == 4, "filters must have 4 taps");
  const at::Tensor fyc = fy.to(at::kFloat).contiguous(), fxc = fx.to(at::kFloat).contiguous();
  const EpiArgs ea = epi_args(dco, shift, noise, N, O, R, RW);
  ZRows z(xs, w, ts.maxdy + 1);
  FirArgs A{N, O, R, RW, TO, off, act, &ts, &z, {}, {}, &ea, out.data_ptr<float>(),
            out.stride(0), out.stride(1), out.stride(2), out.stride(3),
            static_cast<float>(alpha), static_cast<float>(clamp)};
  std::copy(fyc.data_ptr<float>(), fyc.data_ptr<float>() + 4, A.fyv);
  std::copy(fxc.data_ptr<float>(), fxc.data_ptr<float>() + 4, A.fxv);
  switch (O) {
    case 16: fir_impl<1>(A); break;
    case 32: fir_impl<2>(A); break;
    case 64: fir_impl<4>(A); break;
    case 128: fir_impl<8>(A); break;
    case 256: fir_impl<16>(A); break;
    case 512: fir_impl<32>(A); break;
    default: fir_impl<0>(A);
  }
}

// A layer's styles and demodulation in one call (they are ~7 tiny ops otherwise):
// styles[n, i] = b[i] + sum_k w[n, k] A[k, i]; dco[n, o] = g / sqrt(sum_i styles^2 wsq[o, i]
// + 1e-8); dco is empty when wsq is (toRGB: no demodulation).
std::tuple<at::Tensor, at::Tensor> styles_dco(const at::Tensor& w, const at::Tensor& A,
                                              const at::Tensor& b, const at::Tensor& wsq,
                                              double g) {
  check_f32_cpu(w, "w");
  check_f32_cpu(A, "A");
  check_f32_cpu(b, "b");
  TORCH_CHECK(w.dim() == 2 && A.dim() == 2 && A.is_contiguous() && b.is_contiguous(),
              "w [N, K], A [K, I] contiguous, b [I]");
  const int64_t N = w.size(0), K = w.size(1), I = A.size(1);
  TORCH_CHECK(A.size(0) == K && b.numel() == I, "shapes");
  const at::Tensor wc = w.contiguous();
  at::Tensor styles = at::empty({N, I}, w.options());
  const float* wp = wc.data_ptr<float>();
  const float* ap = A.data_ptr<float>();
  const float* bp = b.data_ptr<float>();
  float* sp = styles.data_ptr<float>();
  for (int64_t n = 0; n < N; ++n) {
    float* srow = sp + n * I;
    std::copy(bp, bp + I, srow);
    for (int64_t k = 0; k < K; ++k) {
      const float c = wp[n * K + k];
      const float* arow = ap + k * I;
      int64_t i = 0;
      for (; i + 16 <= I; i += 16) store16(srow + i, load16(srow + i) + c * load16(arow + i));
      for (; i < I; ++i) srow[i] += c * arow[i];
    }
  }
  if (!wsq.defined() || wsq.numel() == 0) return {styles, at::Tensor()};
  check_f32_cpu(wsq, "wsq");
  TORCH_CHECK(wsq.dim() == 2 && wsq.size(1) == I && wsq.is_contiguous(), "wsq must be [O, I]");
  const int64_t O = wsq.size(0);
  at::Tensor dco = at::empty({N, O}, w.options());
  const float* qp = wsq.data_ptr<float>();
  float* dp = dco.data_ptr<float>();
  std::vector<float> s2(I);
  const float fg = static_cast<float>(g);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t i = 0; i < I; ++i) s2[i] = sp[n * I + i] * sp[n * I + i];
    for (int64_t o = 0; o < O; ++o) {
      const float* q = qp + o * I;
      v16 acc16 = v16{};
      int64_t i = 0;
      for (; i + 16 <= I; i += 16) acc16 += load16(s2.data() + i) * load16(q + i);
      float acc = 0.f;
      for (int j = 0; j < 16; ++j) acc += acc16[j];
      for (; i < I; ++i) acc += s2[i] * q[i];
      dp[n * O + o] = fg / std::sqrt(acc + 1e-8f);
    }
  }
  return {styles, dco};
}

}  // namespace

TORCH_LIBRARY(wenyang_cpu, m) {
  m.def(
      "up_fir_act(Tensor y, Tensor(a!) out, Tensor blur, Tensor dco, Tensor shift, int off, "
      "int act, float alpha, float clamp) -> ()");
  m.def(
      "scale_act_(Tensor(a!) y, Tensor dco, Tensor shift, Tensor noise, int act, float alpha, "
      "float clamp) -> ()");
  m.def("rgb_add_(Tensor(a!) y, Tensor bias, Tensor img, float clamp, bool tileable) -> ()");
  m.def(
      "conv_taps_act(Tensor xs, Tensor w, Tensor taps, Tensor(a!) out, Tensor dco, "
      "Tensor shift, Tensor noise, int act, float alpha, float clamp) -> ()");
  m.def(
      "conv_taps_fir_act(Tensor xs, Tensor w, Tensor taps, Tensor fy, Tensor fx, int off, "
      "Tensor(a!) out, Tensor dco, Tensor shift, Tensor noise, int act, float alpha, "
      "float clamp) -> ()");
  m.def("styles_dco(Tensor w, Tensor A, Tensor b, Tensor wsq, float g) -> (Tensor, Tensor)");
  m.def("set_band_bytes(int b) -> int");
  m.def("pad_scale(Tensor x, Tensor styles, int lo, int hi, bool tileable, bool to_cl) -> Tensor");
}

TORCH_LIBRARY_IMPL(wenyang_cpu, CompositeImplicitAutograd, m) {
  m.impl("set_band_bytes", &set_band_bytes);
}

TORCH_LIBRARY_IMPL(wenyang_cpu, CPU, m) {
  m.impl("up_fir_act", &up_fir_act);
  m.impl("scale_act_", &scale_act_);
  m.impl("rgb_add_", &rgb_add_);
  m.impl("pad_scale", &pad_scale);
  m.impl("styles_dco", &styles_dco);
  m.impl("conv_taps_act", &conv_taps_act);
  m.impl("conv_taps_fir_act", &conv_taps_fir_act);
}
