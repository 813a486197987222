/* The multigrid tests' system (t410, t411): a generated implant + cement +
 * bone model (TET10, mesh size h, stiffness contrast 44x, distal face
 * fixed) assembled as scalar CSR with the prescribed DOFs eliminated
 * (their rows and columns zero but for the diagonal). */
#ifndef FEMORA_TEST_AMG_MODEL_H
#define FEMORA_TEST_AMG_MODEL_H

#include <stdio.h>
#include <stdlib.h>

#include "case.h"
#include "csr.h"
#include "error.h"
#include "generate.h"
#include "mesh.h"
#include "model.h"

/* partial: also x prescribed on the loaded group (nodes with free and
 * prescribed DOFs), and the eliminated entries dropped from the matrix;
 * blk (may be NULL): the same matrix in 3x3 blocks (as the GPU keeps it:
 * eliminated entries explicit zeros; S then holds them too) */
static inline void build_system(const char *name, double h, FmModel *md,
                                FmCsr *S, unsigned char **pfixed, int partial,
                                FmBlockCsr *blk) {
  char yaml[256], msh[256];
  snprintf(yaml, sizeof yaml, "%s.yaml", name);
  snprintf(msh, sizeof msh, "%s.msh", name);
  FILE *fp = fopen(yaml, "w");
  fprintf(fp,
          "mesh: {file: %s, order: 2}\n"
          "materials:\n"
          "  implant: {E: 110000, nu: 0.34}\n"
          "  bone: {E: 15500, nu: 0.24}\n"
          "  cement: {E: 2500, nu: 0.35}\n"
          "constraints: [{group: distal, fix: [x, y, z]}%s]\n"
          "load_cases: [{name: walk, loads: [{group: proximal, "
          "total_force: [-136, -83, -579]}]}]\n",
          msh, partial ? ", {group: proximal, fix: [x]}" : "");
  fclose(fp);
  FmMesh m;
  memset(md, 0, sizeof *md);
  if (fm_generate_implant(h, &m) || fm_mesh_write_msh(&m, msh, 1) ||
      fm_case_read(yaml, &md->cs) || fm_model_build(md, md->cs.mesh_file)) {
    fprintf(stderr, "%s: %s\n", name, fm_error_message());
    exit(1);
  }
  fm_mesh_free(&m);
  const int nn = md->mesh.nnodes;
  int *ids = malloc(nn * sizeof *ids);
  for (int i = 0; i < nn; i++)
    ids[i] = i;
  FmBlockCsr A;
  if (fm_csr_assemble(md, nn, ids, ids, &A)) {
    fprintf(stderr, "%s: %s\n", name, fm_error_message());
    exit(1);
  }
  free(ids);
  unsigned char *fixed = calloc(3 * nn, 1);
  for (int k = 0; k < md->ndir; k++)
    fixed[md->dir_dof[k]] = 1;
  for (int r = 0; r < nn; r++)
    for (int64_t k = A.ptr[r]; k < A.ptr[r + 1]; k++)
      for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++)
          if (fixed[3 * r + p] || fixed[3 * A.col[k] + q])
            A.val[9 * k + 3 * p + q] = (r == A.col[k] && p == q) ? 1e5 : 0.0;
  if (fm_csr_to_scalar(&A, S))
    exit(1);
  if (blk)
    *blk = A;
  else
    fm_csr_free(&A);
  if (partial) { /* keep the diagonal and the non-zero entries */
    int64_t o = 0, k0 = 0;
    for (int i = 0; i < S->nrows; i++) {
      for (int64_t k = k0; k < S->ptr[i + 1]; k++)
        if (S->val[k] != 0.0 || S->col[k] == i) {
          S->col[o] = S->col[k];
          S->val[o++] = S->val[k];
        }
      k0 = S->ptr[i + 1];
      S->ptr[i + 1] = o;
    }
  }
  *pfixed = fixed;
}

/* X and Y the same matrix, bit for bit */
static inline int same_csr(const FmCsr *X, const FmCsr *Y) {
  if (!X->ptr || !Y->ptr) /* none (R with FEMORA_AMG_RESTRICT=transpose) */
    return !X->ptr && !Y->ptr && X->nrows == Y->nrows && X->ncols == Y->ncols;
  int same = X->nrows == Y->nrows && X->ncols == Y->ncols &&
             X->ptr[X->nrows] == Y->ptr[Y->nrows];
  for (int64_t k = 0; same && k < X->ptr[X->nrows]; k++)
    same = X->col[k] == Y->col[k] && X->val[k] == Y->val[k];
  return same;
}

#endif
