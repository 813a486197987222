/* Femora's CUDA simulator: see cuda_runtime_api.h */
#include "cuda_runtime_api.h"
