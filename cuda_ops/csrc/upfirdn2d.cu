// Upsample (zero insertion), pad, FIR-filter and downsample, float32 NCHW: one thread per
// output pixel. Negative padding crops. `k` holds the taps already flipped and scaled.
#include <cuda_runtime.h>

__global__ void wenyang_upfirdn2d_kernel(const float* x, const float* k, float* y, int nc,
                                         int ih, int iw, int kh, int kw, int upx, int upy,
                                         int downx, int downy, int padx0, int pady0, int oh,
                                         int ow) {
    long long total = (long long)nc * oh * ow;
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i < total; i += (long long)gridDim.x * blockDim.x) {
        int ox = (int)(i % ow);
        int oy = (int)((i / ow) % oh);
        long long plane = i / ((long long)ow * oh);
        const float* xp = x + plane * ih * iw;
        float acc = 0.f;
        for (int a = 0; a < kh; ++a) {
            int uy = oy * downy + a - pady0;  // row in the upsampled (unpadded) image
            if (uy < 0 || uy % upy != 0) continue;
            int sy = uy / upy;
            if (sy >= ih) continue;
            for (int b = 0; b < kw; ++b) {
                int ux = ox * downx + b - padx0;
                if (ux < 0 || ux % upx != 0) continue;
                int sx = ux / upx;
                if (sx >= iw) continue;
                acc += k[a * kw + b] * xp[sy * iw + sx];
            }
        }
        y[i] = acc;
    }
}

extern "C" int wenyang_upfirdn2d_launch(const float* x, const float* k, float* y, int nc, int ih,
                                        int iw, int kh, int kw, int upx, int upy, int downx,
                                        int downy, int padx0, int pady0, int oh, int ow,
                                        cudaStream_t stream) {
    long long total = (long long)nc * oh * ow;
    if (total == 0) return 0;
    int threads = 256;
    long long blocks = (total + threads - 1) / threads;
    if (blocks > 65535) blocks = 65535;
    wenyang_upfirdn2d_kernel<<<(unsigned)blocks, threads, 0, stream>>>(
        x, k, y, nc, ih, iw, kh, kw, upx, upy, downx, downy, padx0, pady0, oh, ow);
    return (int)cudaGetLastError();
}
