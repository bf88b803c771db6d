export {
  DEMO_BOARDS,
  DEMO_LEARN_S,
  DEMO_MODEL_DIR,
  DEMO_SCENARIO_DIR,
  type DemoOptions,
  demoConfig,
} from './demo-config.js';
