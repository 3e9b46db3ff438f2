export * from './organization';
export * from './organizational-unit';
export * from './account';
export * from './policy';
export * from './policy-attachment';
export * from './enabled-policy-type';
export * from './aws-service-access';
export * from './delegated-administrator';
