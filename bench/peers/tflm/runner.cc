// The peer for `npm run bench -- runtime`: TensorFlow Lite Micro (reference kernels) on the same emulated
// Cortex-M as our runtime, so arena, code and instructions per inference are compared in one run rather
// than against published figures. QEMU's semihosting carries the files: it reads model.tflite and
// inputs.bin (whole inputs, back to back) from its working directory and writes outputs.bin (the int8/int16
// outputs, back to back) and result.json (arena used, smallest arena that allocates, instructions per
// inference). Time is SysTick at the core clock; under `-icount shift=0` one tick of the 25 MHz clock is
// 40 instructions.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#ifndef TG_PEER_FC_ONLY
#include "tensorflow/lite/micro/recording_micro_interpreter.h"
#endif
#include "tensorflow/lite/schema/schema_generated.h"

namespace {

constexpr uint32_t kArenaBytes = 1536 * 1024;
constexpr uint32_t kInstructionsPerTick = 40;  // 25 MHz core clock, 1 ns per instruction under icount 0
alignas(16) uint8_t arena[kArenaBytes];

volatile uint32_t& SYST_CSR = *reinterpret_cast<volatile uint32_t*>(0xE000E010u);
volatile uint32_t& SYST_RVR = *reinterpret_cast<volatile uint32_t*>(0xE000E014u);
volatile uint32_t& SYST_CVR = *reinterpret_cast<volatile uint32_t*>(0xE000E018u);
volatile uint32_t wraps;

using Resolver = tflite::MicroMutableOpResolver<24>;

// The ops the benched models use, as an application would register them.
void AddOps(Resolver& r) {
  r.AddFullyConnected();
#ifndef TG_PEER_FC_ONLY  // the framework and FULLY_CONNECTED alone, for code size
  r.AddConv2D();
  r.AddDepthwiseConv2D();
  r.AddAveragePool2D();
  r.AddMaxPool2D();
  r.AddReshape();
  r.AddSqueeze();
  r.AddSoftmax();
  r.AddQuantize();
  r.AddDequantize();
  r.AddAdd();
  r.AddSub();
  r.AddMul();
  r.AddLogistic();
  r.AddTanh();
  r.AddRelu();
  r.AddRelu6();
  r.AddLeakyRelu();
  r.AddHardSwish();
  r.AddMean();
  r.AddPad();
  r.AddConcatenation();
#endif
}

uint8_t* ReadFile(const char* path, long* size) {
  FILE* f = fopen(path, "rb");
  if (!f) return nullptr;
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  fseek(f, 0, SEEK_SET);
  // The model must outlive every interpreter: read once, at start-up, before any timing.
  uint8_t* data = static_cast<uint8_t*>(malloc(static_cast<size_t>(*size)));
  if (data && fread(data, 1, static_cast<size_t>(*size), f) != static_cast<size_t>(*size)) data = nullptr;
  fclose(f);
  return data;
}

uint64_t Ticks() {
  uint32_t w, v;
  do {
    w = wraps;
    v = SYST_CVR;
  } while (w != wraps);
  return (static_cast<uint64_t>(w) << 24) + (0xFFFFFFu - v);
}

bool Allocates(const tflite::Model* model, const Resolver& resolver, uint32_t bytes, size_t* used) {
  tflite::MicroInterpreter interpreter(model, resolver, arena, bytes);
  if (interpreter.AllocateTensors() != kTfLiteOk) return false;
  if (used) *used = interpreter.arena_used_bytes();
  return true;
}

#ifndef TG_PEER_FC_ONLY
// Where the arena goes, by TFLite Micro's own accounting (RecordingMicroAllocator), after AllocateTensors and
// fetching the input and output as an application does: what a size estimate has to model.
void PrintAllocations(FILE* out, const tflite::Model* model, const Resolver& resolver) {
  tflite::RecordingMicroInterpreter recording(model, resolver, arena, kArenaBytes);
  if (recording.AllocateTensors() != kTfLiteOk) return;
  recording.input(0);
  recording.output(0);
  using T = tflite::RecordedAllocationType;
  const struct {
    const char* name;
    T type;
  } kinds[] = {{"evalTensors", T::kTfLiteEvalTensorData},
               {"persistentTensors", T::kPersistentTfLiteTensorData},
               {"persistentQuantization", T::kPersistentTfLiteTensorQuantizationData},
               {"persistentBuffers", T::kPersistentBufferData},
               {"variableBuffers", T::kTfLiteTensorVariableBufferData},
               {"nodeAndRegistrations", T::kNodeAndRegistrationArray},
               {"opData", T::kOpData}};
  fprintf(out, ",\"allocations\":{");
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    tflite::RecordedAllocation a = recording.GetMicroAllocator().GetRecordedAllocation(kinds[i].type);
    fprintf(out, "%s\"%s\":{\"used\":%u,\"requested\":%u,\"count\":%u}", i ? "," : "", kinds[i].name,
            static_cast<unsigned>(a.used_bytes), static_cast<unsigned>(a.requested_bytes),
            static_cast<unsigned>(a.count));
  }
  fprintf(out, ",\"head\":%u,\"tail\":%u}", static_cast<unsigned>(recording.GetMicroAllocator().GetSimpleMemoryAllocator()->GetNonPersistentUsedBytes()),
          static_cast<unsigned>(recording.GetMicroAllocator().GetSimpleMemoryAllocator()->GetPersistentUsedBytes()));
}
#endif

int Fail(FILE* out, const char* why) {
  fprintf(out, "{\"error\":\"%s\"}\n", why);
  fclose(out);
  return 1;
}

}  // namespace

extern "C" void SysTick_Handler(void) { wraps = wraps + 1; }

int main() {
  FILE* out = fopen("result.json", "w");
  if (!out) return 2;
  long model_size = 0, inputs_size = 0;
  const uint8_t* bytes = ReadFile("model.tflite", &model_size);
  const uint8_t* inputs = ReadFile("inputs.bin", &inputs_size);
  if (!bytes || !inputs) return Fail(out, "cannot read model.tflite or inputs.bin");
  const tflite::Model* model = tflite::GetModel(bytes);
  Resolver resolver;
  AddOps(resolver);

  size_t used = 0;
  if (!Allocates(model, resolver, kArenaBytes, &used)) return Fail(out, "AllocateTensors failed in the whole arena");
  // The smallest arena AllocateTensors succeeds in (it borrows scratch while it plans). Skipped (0) when the
  // caller leaves a file named no-minimum: TFLite Micro aborts in some too-small arenas (MEAN: a temp buffer
  // its failure path does not free).
  uint32_t lo = 0, hi = kArenaBytes;
  FILE* skip = fopen("no-minimum", "rb");
  if (skip) {
    fclose(skip);
    hi = 0;
  }
  while (hi - lo > 4) {
    uint32_t mid = (lo + hi) / 2 / 4 * 4;
    if (Allocates(model, resolver, mid, nullptr)) hi = mid; else lo = mid;
  }

  {  // its own scope: it is gone before the recording interpreter reuses the arena
    tflite::MicroInterpreter interpreter(model, resolver, arena, kArenaBytes);
    if (interpreter.AllocateTensors() != kTfLiteOk) return Fail(out, "AllocateTensors failed");
    TfLiteTensor* input = interpreter.input(0);
    TfLiteTensor* output = interpreter.output(0);
    const long count = inputs_size / static_cast<long>(input->bytes);
    FILE* outputs = fopen("outputs.bin", "wb");
    if (!outputs) return Fail(out, "cannot write outputs.bin");

    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7;  // core clock, interrupt on wrap, enabled
    fprintf(out, "{\"arenaUsedBytes\":%u,\"arenaMinimumBytes\":%u,\"instructions\":[", static_cast<unsigned>(used),
            static_cast<unsigned>(hi));
    for (long i = 0; i < count; i++) {
      memcpy(input->data.raw, inputs + i * static_cast<long>(input->bytes), input->bytes);
      uint64_t t0 = Ticks();
      TfLiteStatus status = interpreter.Invoke();
      uint64_t t1 = Ticks();
      if (status != kTfLiteOk) return Fail(out, "Invoke failed");
      fwrite(output->data.raw, 1, output->bytes, outputs);
      // newlib-nano's printf has no %llu; an inference of 2^32 instructions would take minutes here.
      fprintf(out, "%s%lu", i ? "," : "", static_cast<unsigned long>((t1 - t0) * kInstructionsPerTick));
    }
    fclose(outputs);
  }
  fprintf(out, "]");
#ifndef TG_PEER_FC_ONLY
  PrintAllocations(out, model, resolver);
#endif
  fprintf(out, "}\n");
  fclose(out);
  return 0;
}
