//===- FormKernelGroups.cpp - decide which ops each kernel runs -----------===//
//
// Plans groups on the op list first (roles, then the rules in Passes.td, with
// a cycle check for every join), then builds one ssmc.kernel_group per plan.
//
//===----------------------------------------------------------------------===//

#include "GroupUtils.h"
#include "Passes.h"
#include "SsmcOps.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <set>

namespace ssmc {
#define GEN_PASS_DEF_FORMKERNELGROUPS
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

/// A linear with at most this many input features (dt_proj: dt_rank) is
/// cheap enough to recompute inside the scan that consumes it.
constexpr int64_t kMaxRecomputedInFeatures = 64;

/// A convolution keeps the norm of its output in its kernel only where a
/// block can hold 64 of its whole output rows: the GEMM's C tile lives in
/// registers, and past 384 channels (64 x 384 fp32 over at most 16 warps'
/// fragments) the tile has 32 rows, so each block re-reads the whole weight
/// for every 32 rows (MambaOut-tiny's last downsample: 125 us modeled
/// against a 27 us bound). Its norm then runs as a row kernel of its own.
constexpr int64_t kMaxNormColumnsFused = 384;

/// Rows of the smallest whole-row tile of a convolution with its norm. A
/// convolution keeps its norm only where its rows give every SM such a
/// tile: below that the fused kernel leaves SMs idle, while the GEMM alone
/// tiles its columns too (MambaOut-tiny at batch 1, modeled: the second
/// downsample 22.8 -> 6.0 + 2.2 us as a GEMM and a row kernel).
constexpr int64_t kNormTileRows = 16;

/// Whether a kernel with `conv` may compute the norm of its output too, on
/// a GPU of `sms` SMs (0: whatever the rows).
bool takesItsNorm(Operation *conv, int64_t sms) {
  auto shape = cast<RankedTensorType>(conv->getResult(0).getType()).getShape();
  int64_t rows = 1;
  for (int64_t d : shape.drop_back())
    rows *= d;
  return shape.back() <= kMaxNormColumnsFused && (sms <= 0 || rows >= kNormTileRows * sms);
}

/// The plan: which group each op is in (-1: none yet).
class Planner {
public:
  Planner(Block &block, int64_t sms) : sms_(sms) {
    for (Operation &op : block.without_terminator())
      if (roleOf(&op) != Role::Weight)
        ops_.push_back(&op);
  }

  void run() {
    // Anchors; a small linear feeding only scans waits to join its scan.
    for (Operation *op : ops_) {
      Role r = roleOf(op);
      if (r == Role::Anchor || (r == Role::Gemm && !onlyFeedsScans(op)))
        newGroup(op);
    }
    for (Operation *op : ops_)
      if (roleOf(op) == Role::Gemm && groupOf(op) >= 0)
        absorbNormPrologue(op);
    for (int g = 0; g < static_cast<int>(groups_.size()); ++g)
      absorbEpilogues(g);
    // A convolution's norm it did not take is a row kernel of its own,
    // formed before the prologues so that what follows it (the stem's GELU)
    // becomes its epilogue, not the next convolution's prologue (which
    // would compute it again for every tap).
    for (Operation *op : ops_) {
      Operation *feed = op->getNumOperands() ? op->getOperand(0).getDefiningOp() : nullptr;
      if (roleOf(op) == Role::Norm && groupOf(op) < 0 && feed && isa<Conv2dOp>(feed))
        absorbEpilogues(newGroup(op));
    }
    absorbPrologues();
    for (Operation *op : ops_)
      if (groupOf(op) < 0 && !remat_.count(op))
        newGroup(op);
  }

  const std::vector<std::vector<Operation *>> &groups() const { return groups_; }
  const llvm::DenseSet<Operation *> &rematerialized() const { return remat_; }
  int groupOf(Operation *op) const {
    auto it = group_.find(op);
    return it == group_.end() ? -1 : it->second;
  }

private:
  int newGroup(Operation *op) {
    groups_.push_back({op});
    group_[op] = groups_.size() - 1;
    return groups_.size() - 1;
  }
  void join(Operation *op, int g) {
    groups_[g].push_back(op);
    group_[op] = g;
  }
  bool gemmGroup(int g) const {
    return llvm::any_of(groups_[g], [](Operation *op) { return roleOf(op) == Role::Gemm; }) &&
           !llvm::any_of(groups_[g], [](Operation *op) { return roleOf(op) == Role::Anchor; });
  }

  /// Through views and elementwise ops, every use ends in a selective scan.
  bool onlyFeedsScans(Operation *linear) {
    auto w = cast<RankedTensorType>(cast<LinearOp>(linear).getWeight().getType());
    if (w.getShape()[1] > kMaxRecomputedInFeatures)
      return false;
    SmallVector<Operation *> work{linear};
    llvm::DenseSet<Operation *> seen;
    bool any = false;
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      for (Operation *user : op->getUsers()) {
        if (!seen.insert(user).second)
          continue;
        if (isa<SelectiveScanOp>(user))
          any = true;
        else if (roleOf(user) == Role::View || roleOf(user) == Role::Elementwise)
          work.push_back(user);
        else
          return false;
      }
    }
    return any;
  }

  /// Would putting `op` into group g make groups depend on each other in a
  /// cycle? True when a path leaves g and comes back through `op`'s operands.
  bool createsCycle(Operation *op, int g) {
    SmallVector<Operation *> work;
    llvm::DenseSet<Operation *> seen;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp(); def && groupOf(def) != g)
        work.push_back(def);
    while (!work.empty()) {
      Operation *cur = work.pop_back_val();
      if (!seen.insert(cur).second || roleOf(cur) == Role::Weight)
        continue;
      for (Value v : cur->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (!def)
          continue;
        if (groupOf(def) == g)
          return true;
        work.push_back(def);
      }
    }
    return false;
  }

  bool tryJoin(Operation *op, int g) {
    if (groupOf(op) >= 0 || remat_.count(op) || createsCycle(op, g))
      return false;
    // Users already in g must not see op through another group either.
    for (Operation *user : op->getUsers())
      if (groupOf(user) >= 0 && groupOf(user) != g && reaches(user, g))
        return false;
    join(op, g);
    return true;
  }

  /// Is there a path from `from` forward into group g?
  bool reaches(Operation *from, int g) {
    SmallVector<Operation *> work{from};
    llvm::DenseSet<Operation *> seen;
    while (!work.empty()) {
      Operation *cur = work.pop_back_val();
      if (!seen.insert(cur).second)
        continue;
      if (groupOf(cur) == g)
        return true;
      for (Operation *u : cur->getUsers())
        work.push_back(u);
    }
    return false;
  }

  /// The anchors of group g by name: groups with equal keys are twins.
  std::multiset<std::string> key(int g) const { return anchorKey(groups_[g]); }

  /// Does `user` combine g's result with that of a twin of g (Vim's two
  /// directions summed)? Then it must not tie the twins together: they are
  /// merged later, and it follows as the merged group's epilogue. A group
  /// of the same anchors that g depends on counts too: a MambaOut block's
  /// residual add, whose other operand comes from the fc1 group, then stays
  /// out of fc2 and, before a downsampling conv, goes to the conv's gather.
  /// The model prefers that (fc2 is DRAM-bound, the conv lsu-bound: the add
  /// in fc2 made femto 2196 -> 2205 us and tiny 4721 -> 4737 us modeled).
  bool joinsTwin(Operation *user, int g) {
    for (Value v : user->getOperands()) {
      Operation *def = v.getDefiningOp();
      while (def && groupOf(def) < 0 &&
             (roleOf(def) == Role::View || roleOf(def) == Role::Elementwise) &&
             def->getNumOperands() > 0)
        def = def->getOperand(0).getDefiningOp();
      if (def && groupOf(def) >= 0 && groupOf(def) != g && key(groupOf(def)) == key(g))
        return true;
    }
    return false;
  }

  /// norm -> linear, and the elementwise op feeding the norm (residual add).
  void absorbNormPrologue(Operation *linear) {
    int g = groupOf(linear);
    Operation *norm = cast<LinearOp>(linear).getInput().getDefiningOp();
    if (!norm || roleOf(norm) != Role::Norm || !norm->getResult(0).hasOneUse() ||
        !tryJoin(norm, g))
      return;
    Operation *feed = norm->getOperand(0).getDefiningOp();
    if (feed && roleOf(feed) == Role::Elementwise)
      tryJoin(feed, g);
  }

  void absorbEpilogues(int g) {
    for (size_t i = 0; i < groups_[g].size(); ++i) {
      Operation *op = groups_[g][i];
      for (Value r : op->getResults()) {
        if (!r.hasOneUse())
          continue;
        Operation *user = *r.getUsers().begin();
        if (isa<func::ReturnOp>(user))
          continue;
        Role role = roleOf(user);
        bool ok = role == Role::Elementwise ||
                  (!gemmGroup(g) && (role == Role::View || role == Role::Norm));
        if (role == Role::Norm && isa<Conv2dOp>(op) && !takesItsNorm(op, sms_))
          ok = false;
        if (ok && !joinsTwin(user, g))
          tryJoin(user, g);
      }
    }
  }

  /// Consumers first: an op whose users all sit in one non-GEMM group joins
  /// it; views (and weight-only math) feeding several groups are recomputed.
  void absorbPrologues() {
    for (bool changed = true; changed;) {
      changed = false;
      for (Operation *op : llvm::reverse(ops_)) {
        if (groupOf(op) >= 0 || remat_.count(op))
          continue;
        Role role = roleOf(op);
        if (role != Role::Elementwise && role != Role::View && role != Role::Gemm)
          continue;
        std::set<int> userGroups;
        bool allPlaced = !op->use_empty();
        for (Operation *user : op->getUsers()) {
          if (remat_.count(user)) {
            for (int ug : rematGroups(user))
              userGroups.insert(ug);
          } else if (groupOf(user) >= 0) {
            userGroups.insert(groupOf(user));
          } else {
            allPlaced = false;
          }
        }
        if (!allPlaced || userGroups.empty())
          continue;
        if (userGroups.size() == 1 && !gemmGroup(*userGroups.begin())) {
          changed |= tryJoin(op, *userGroups.begin());
        } else if (role == Role::View || onlyWeights(op)) {
          remat_.insert(op);
          changed = true;
        }
      }
    }
  }

  bool onlyWeights(Operation *op) {
    return llvm::all_of(op->getOperands(), [&](Value v) {
      Operation *def = v.getDefiningOp();
      return def && (isa<WeightOp>(def) || (remat_.count(def) && onlyWeights(def)));
    });
  }

  std::set<int> rematGroups(Operation *op) {
    std::set<int> gs;
    for (Operation *user : op->getUsers()) {
      if (remat_.count(user))
        for (int g : rematGroups(user))
          gs.insert(g);
      else if (groupOf(user) >= 0)
        gs.insert(groupOf(user));
    }
    return gs;
  }

  int64_t sms_; // of the target GPU (0: no row condition on a conv's norm)
  std::vector<Operation *> ops_;
  llvm::DenseMap<Operation *, int> group_;
  std::vector<std::vector<Operation *>> groups_;
  llvm::DenseSet<Operation *> remat_;
};

struct FormKernelGroupsPass : ssmc::impl::FormKernelGroupsBase<FormKernelGroupsPass> {
  using FormKernelGroupsBase::FormKernelGroupsBase;
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (f.getBody().empty())
      return;
    Block &block = f.getBody().front();
    if (llvm::any_of(block, [](Operation &op) { return isa<KernelGroupOp>(op); }))
      return; // already grouped
    if (sms < 0) {
      f.emitError() << "ssmc-form-kernel-groups: sms must be 0 or more, got " << int64_t(sms);
      return signalPassFailure();
    }
    Planner planner(block, sms);
    planner.run();
    std::vector<GroupPlan> plans;
    for (const auto &ops : planner.groups())
      plans.push_back({ops});
    if (failed(buildKernelGroups(block, plans, planner.rematerialized())))
      return signalPassFailure();
    // Elementwise chains left in groups of their own that read one group
    // only become its epilogue (g07_add then g08_scale: one fold each).
    // A norm left alone because its convolution is too wide (or has too few
    // rows) stays alone.
    const int64_t smCount = sms;
    foldElementwiseGroups(block, [smCount](KernelGroupOp producer, KernelGroupOp group) {
      bool norm = llvm::any_of(group.getBody().front(),
                               [](Operation &op) { return roleOf(&op) == Role::Norm; });
      return !norm || llvm::all_of(producer.getBody().front(), [smCount](Operation &op) {
        return !isa<Conv2dOp>(op) || takesItsNorm(&op, smCount);
      });
    });
    dropUnusedResults(block);
    renameGroups(block);
    copyReturnedArguments(block);
  }

  /// A model output that is a model input (Vim's residual when there is no
  /// residual yet) gets a kernel group that copies it: every output is then
  /// written by a kernel into the arena, where the memory plan places it.
  static void copyReturnedArguments(Block &block) {
    Operation *terminator = block.getTerminator();
    unsigned index = llvm::range_size(block.getOps<KernelGroupOp>());
    OpBuilder builder(terminator);
    for (OpOperand &operand : terminator->getOpOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand.get());
      if (!arg)
        continue;
      auto group = builder.create<KernelGroupOp>(terminator->getLoc(), TypeRange{arg.getType()},
                                                 builder.getStringAttr(""), ValueRange{arg});
      Block *body = new Block();
      group.getBody().push_back(body);
      OpBuilder::atBlockEnd(body).create<YieldOp>(
          terminator->getLoc(), ValueRange{body->addArgument(arg.getType(), arg.getLoc())});
      group.setName(kernelGroupName(index++, *body));
      operand.set(group.getResult(0));
    }
  }
};
} // namespace
