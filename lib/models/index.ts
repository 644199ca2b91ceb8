/** ADM networks (guided-diffusion's UNetModel and EncoderUNetModel), their configs and flags. */
export * from "./config";
export * from "./unet";
export * from "./encoder-unet";
export * from "./unet-plan";
export * from "./unet-params";
export * from "./layers";
export * from "./walk";
export * from "./flags";
export * from "./from-flags";
export * from "./configs";
export * from "./adm-catalogue";
export * from "./reduced";
