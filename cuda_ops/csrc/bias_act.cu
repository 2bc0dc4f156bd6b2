// Fused bias + activation + gain + clamp (float32), the CUDA twin of cuda_ops.bias_act.
// Plain CUDA with a C launcher, so this file compiles without the PyTorch headers.
#include <cuda_runtime.h>
#include <math.h>

__global__ void wenyang_bias_act_kernel(const float* x, const float* b, float* y, long long n,
                                        long long step, int channels, int act, float alpha,
                                        float gain, float clamp) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i < n; i += (long long)gridDim.x * blockDim.x) {
        float v = x[i];
        if (b) v += b[(i / step) % channels];
        switch (act) {
            case 2: v = v > 0.f ? v : 0.f; break;                       // relu
            case 3: v = v > 0.f ? v : v * alpha; break;                 // lrelu
            case 4: v = tanhf(v); break;                                // tanh
            case 5: v = 1.f / (1.f + expf(-v)); break;                  // sigmoid
            case 6: v = v >= 0.f ? v : expm1f(v); break;                // elu
            case 7: v = 1.0507009873554805f * (v >= 0.f ? v : 1.6732632423543772f * expm1f(v));
                break;                                                  // selu
            case 8: v = v > 20.f ? v : log1pf(expf(v)); break;          // softplus
            case 9: v = v / (1.f + expf(-v)); break;                    // swish
            default: break;                                             // linear
        }
        v *= gain;
        if (clamp >= 0.f) v = fminf(fmaxf(v, -clamp), clamp);
        y[i] = v;
    }
}

extern "C" int wenyang_bias_act_launch(const float* x, const float* b, float* y, long long n,
                                       long long step, int channels, int act, float alpha,
                                       float gain, float clamp, cudaStream_t stream) {
    if (n == 0) return 0;
    int threads = 256;
    long long blocks = (n + threads - 1) / threads;
    if (blocks > 65535) blocks = 65535;
    wenyang_bias_act_kernel<<<(unsigned)blocks, threads, 0, stream>>>(x, b, y, n, step, channels,
                                                                      act, alpha, gain, clamp);
    return (int)cudaGetLastError();
}
