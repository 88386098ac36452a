console.log("tertulia");
